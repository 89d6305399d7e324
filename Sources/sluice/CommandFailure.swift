/// A command that failed for a reason the user can act on: ArgumentParser prints
/// "Error: <message>" and exits with status 1.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String

    init(_ message: String) {
        description = message
    }
}
