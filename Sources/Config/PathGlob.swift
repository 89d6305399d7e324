import Foundation

/// A `paths[].match` pattern over a stream path (`live/demo`): segments split on `/`, where a
/// `*` segment is exactly one segment, `**` any number (also none), and `*` inside a segment
/// (`cam*`) any run of characters within it. Leading and trailing slashes are ignored.
public struct PathGlob: Sendable, Equatable, CustomStringConvertible {
    public let pattern: String
    private let segments: [Substring]

    public init(_ pattern: String) {
        self.pattern = pattern
        segments = pattern.split(separator: "/")
    }

    public var description: String { pattern }

    /// Why `pattern` is not usable, or nil: empty, or `**` mixed into a segment (`a**`).
    public static func problem(in pattern: String) -> String? {
        let segments = pattern.split(separator: "/", omittingEmptySubsequences: false)
            .enumerated().filter { !($0.offset == 0 && $0.element.isEmpty) } // a leading "/" is allowed
            .map(\.element)
        if pattern.trimmingCharacters(in: .whitespaces).isEmpty || segments.allSatisfy(\.isEmpty) {
            return "must be a non-empty glob like live/* or shop/**"
        }
        if segments.dropLast().contains(where: \.isEmpty) { return "has an empty segment (//)" }
        if segments.contains(where: { $0 != "**" && $0.contains("**") }) { return "** must be a whole segment" }
        if pattern.contains(where: { $0 == "?" || $0 == "#" || $0.isWhitespace }) {
            return "may not contain '?', '#' or spaces (it matches the path, not the query)"
        }
        return nil
    }

    /// Whether `pattern` matches `path`.
    public static func matches(_ pattern: String, _ path: String) -> Bool {
        PathGlob(pattern).matches(path)
    }

    public func matches(_ path: String) -> Bool {
        let parts = path.split(separator: "/")
        return Self.match(segments[...], parts[...])
    }

    private static func match(_ pattern: ArraySlice<Substring>, _ path: ArraySlice<Substring>) -> Bool {
        guard let head = pattern.first else { return path.isEmpty }
        if head == "**" {
            let rest = pattern.dropFirst()
            // Zero or more segments: try every split (patterns are short; paths have few segments).
            var tail = path
            while true {
                if match(rest, tail) { return true }
                guard !tail.isEmpty else { return false }
                tail = tail.dropFirst()
            }
        }
        guard let segment = path.first, segmentMatches(head, segment) else { return false }
        return match(pattern.dropFirst(), path.dropFirst())
    }

    /// `*` within one segment: any run of characters (not `/`, which the split removed).
    static func segmentMatches(_ pattern: Substring, _ text: Substring) -> Bool {
        guard pattern.contains("*") else { return pattern == text }
        let pieces = pattern.split(separator: "*", omittingEmptySubsequences: false)
        var rest = text[...]
        guard let first = pieces.first, rest.hasPrefix(first) else { return false }
        rest = rest.dropFirst(first.count)
        let last = pieces.count > 1 ? pieces[pieces.count - 1] : ""
        for piece in pieces.dropFirst().dropLast() where !piece.isEmpty {
            guard let r = rest.range(of: piece) else { return false }
            rest = rest[r.upperBound...]
        }
        return pieces.count == 1 ? rest.isEmpty : rest.hasSuffix(last) && rest.count >= last.count
    }
}

extension SluiceConfig {
    /// The first `paths` rule whose `match` fits `path` (`live/demo`, no query), or nil. Shared by
    /// every per-path decision (ladder, transcode, publish and play auth).
    public func rule(for path: String) -> PathRule? {
        paths.first { PathGlob($0.match).matches(path) }
    }

    /// Who may publish `path`: its rule's `publish`, else `auth.publish`.
    public func publishAuth(for path: String) -> PublishAuth {
        rule(for: path)?.publish ?? auth.publish
    }

    /// Who may play `path`: its rule's `play`, else `auth.play`.
    public func playAuth(for path: String) -> PlayAuth {
        rule(for: path)?.play ?? auth.play
    }
}
