import ArgumentParser

/// Thrown by commands whose engine is not built yet; says so plainly and exits non-zero.
struct NotBuiltYet: Error, CustomStringConvertible {
    var command: String
    var description: String { "`sluice \(command)` is not built yet in this version of Sluice." }
}
