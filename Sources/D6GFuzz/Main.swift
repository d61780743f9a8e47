// Temporary entry until the VM differential runner lands: libFuzzer builds only.
@main
struct D6GFuzz {
    static func main() {
        LibFuzzerEntry.run()
    }
}
