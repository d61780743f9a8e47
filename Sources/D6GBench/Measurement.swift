// The clocks and the median every benchmark measures with, so all figures are taken the same way.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// CPU time the calling thread has spent so far, in seconds. The machine is shared by several
/// builds at once; CPU time leaves out the slices spent waiting for a core, which wall time
/// would count (cache and frequency effects of the neighbours remain).
func threadCPUSeconds() -> Double {
    seconds(of: clockTime(CLOCK_THREAD_CPUTIME_ID))
}

/// The calling thread's CPU time in whole nanoseconds, for loops short enough that a
/// `Double` of seconds would round away the difference.
func threadCPUNanoseconds() -> UInt64 {
    let time = clockTime(CLOCK_THREAD_CPUTIME_ID)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// CPU time of the whole process (all its threads, user and system), in seconds: for
/// benchmarks whose work is spread over several threads.
func processCPUSeconds() -> Double {
    seconds(of: clockTime(CLOCK_PROCESS_CPUTIME_ID))
}

/// Monotonic wall-clock time in seconds from an arbitrary origin; only differences mean anything.
func wallSeconds() -> Double {
    seconds(of: clockTime(CLOCK_MONOTONIC))
}

/// A `Duration` as seconds.
func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// The median of `values`: the middle value of the sorted list, or for an even count the
/// mean of the two middle values. `values` must not be empty.
func median(_ values: [Double]) -> Double {
    precondition(!values.isEmpty, "median of no values")
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

private func clockTime(_ clock: clockid_t) -> timespec {
    var time = timespec()
    clock_gettime(clock, &time)
    return time
}

private func seconds(of time: timespec) -> Double {
    Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}
