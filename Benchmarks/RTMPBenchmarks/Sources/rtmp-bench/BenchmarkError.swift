struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
}
