/// A test step that could not happen (the peer never answered, say).
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
