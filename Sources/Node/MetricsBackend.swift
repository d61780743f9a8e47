// The metrics backend of a node process: swift-metrics bootstrapped once with swift-prometheus's
// factory, whose registry the metrics endpoint renders. A process has one metrics system, so a
// second node started in the same process (tests) shares the first one's registry.
import Metrics
import Prometheus
import Synchronization

enum MetricsBackend {
    private static let registry = Mutex<PrometheusCollectorRegistry?>(nil)

    /// The process's Prometheus registry, bootstrapping swift-metrics with it the first time.
    static func prometheus() -> PrometheusCollectorRegistry {
        registry.withLock { current in
            if let current { return current }
            let created = PrometheusCollectorRegistry()
            var factory = PrometheusMetricsFactory(registry: created)
            // Block build and commit take milliseconds; RPC calls tens of microseconds and up.
            factory.defaultDurationHistogramBuckets = [
                .microseconds(100), .microseconds(500), .milliseconds(1), .milliseconds(5), .milliseconds(10),
                .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
            ]
            MetricsSystem.bootstrap(factory)
            current = created
            return created
        }
    }
}
