import Foundation
import Yams

/// One step of a key path: `listeners`, `[2]`.
enum KeyPathElement: Hashable {
    case key(String)
    case index(Int)

    static func render(_ path: [KeyPathElement]) -> String {
        var out = ""
        for element in path {
            switch element {
            case .key(let k): out += out.isEmpty ? k : ".\(k)"
            case .index(let i): out += "[\(i)]"
            }
        }
        return out
    }
}

/// What one decode learned besides the value: where every key was set, and which keys the
/// schema has (for environment overrides).
final class DecodeLog {
    let fileName: String
    /// Key paths set by environment variables (injected nodes have no mark).
    var environment: [String: String] = [:]
    var origins: [String: ConfigOrigin] = [:]
    /// Scalar (or string list) keys outside sequences, in schema order.
    var scalarKeys: [SchemaKey] = []
    private var seenScalarKeys: Set<[String]> = []

    init(fileName: String) { self.fileName = fileName }

    func noteScalarKey(_ path: [KeyPathElement], kind: SchemaKey.Kind) {
        var keys: [String] = []
        for element in path {
            guard case .key(let k) = element else { return } // inside a list: no environment name
            keys.append(k)
        }
        if seenScalarKeys.insert(keys).inserted { scalarKeys.append(SchemaKey(path: keys, kind: kind)) }
    }
}

/// A `Decoder` over the user's YAML node merged with the defaults' node: keys the user left
/// out come from the defaults, keys the schema does not ask for are errors (with a suggestion),
/// and every error is a `ConfigError` naming the key path and the line.
final class StrictDecoder: Decoder {
    let node: Node?
    let defaults: Node?
    let path: [KeyPathElement]
    let origin: ConfigOrigin
    let log: DecodeLog
    /// Keys a keyed container asked for; nil until one is made.
    var requested: Set<String>?

    init(node: Node?, defaults: Node?, path: [KeyPathElement], origin: ConfigOrigin, log: DecodeLog) {
        // `listeners:` with nothing after it is YAML null: a section left empty takes its defaults.
        var isSection = false
        if case .mapping? = defaults { isSection = true }
        self.node = node.flatMap { isSection && StrictDecoder.isNull($0) ? nil : $0 }
        self.defaults = defaults
        self.path = path
        self.origin = origin
        self.log = log
    }

    var codingPath: [any CodingKey] {
        path.map { element in
            switch element {
            case .key(let k): AnyKey(stringValue: k)
            case .index(let i): AnyKey(intValue: i)
            }
        }
    }
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    var keyPath: String { KeyPathElement.render(path) }
    var effective: Node? { node ?? defaults }
    var fromUser: Bool { node != nil }

    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let s) = node else { return false }
        return (s.style == .plain || s.style == .any) && node.tag.rawValue == Tag.Name.null.rawValue
    }

    func fail(_ reason: String, at origin: ConfigOrigin? = nil) -> ConfigError {
        ConfigError(keyPath: keyPath, origin: origin ?? self.origin, reason: reason)
    }

    func originOf(_ node: Node?) -> ConfigOrigin {
        if let line = node?.mark?.line { return .file(name: log.fileName, line: line) }
        return origin
    }

    // MARK: values

    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        if let scalar = try scalarValue(type) { return scalar }
        guard effective != nil else { throw fail("missing") }
        var decoder = self
        if defaults == nil, let d = T.self as? any ConfigDefaultable.Type, let defaultNode = Self.defaultNode(d) {
            decoder = StrictDecoder(node: node, defaults: defaultNode, path: path, origin: origin, log: log)
        }
        let value: T
        do {
            value = try T(from: decoder)
        } catch let error as ConfigError {
            throw error
        } catch {
            throw fail("\(error)")
        }
        try decoder.checkUnknownKeys()
        return value
    }

    static func defaultNode<D: ConfigDefaultable>(_ type: D.Type) -> Node? {
        guard let yaml = try? YAMLEncoder().encode(type.init()) else { return nil }
        return try? Yams.compose(yaml: yaml)
    }

    private func checkUnknownKeys() throws {
        guard let requested, case .mapping(let mapping)? = node else { return }
        for (key, _) in mapping {
            let name = key.string ?? "\(key)"
            guard !requested.contains(name) else { continue }
            var reason = "unknown key '\(name)'"
            if let near = Self.nearest(name, in: requested) { reason += " (did you mean '\(near)'?)" }
            else { reason += " (known here: \(requested.sorted().joined(separator: ", ")))" }
            throw ConfigError(keyPath: KeyPathElement.render(path + [.key(name)]), origin: originOf(key), reason: reason)
        }
    }

    static func nearest(_ name: String, in candidates: Set<String>) -> String? {
        let lower = name.lowercased()
        if let same = candidates.first(where: { $0.lowercased() == lower }) { return same }
        let scored = candidates.map { ($0, editDistance(lower, $0.lowercased())) }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }
        guard let best = scored.first, best.1 <= max(2, name.count / 3) else { return nil }
        return best.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    static func isScalarType<T>(_ type: T.Type) -> Bool {
        T.self == String.self || T.self == Bool.self || T.self == Int.self || T.self == Double.self
            || T.self == Float.self || T.self == Int64.self || T.self == UInt.self || T.self == UInt64.self
            || T.self == Int32.self || T.self == UInt32.self || T.self == Int16.self || T.self == UInt16.self
            || T.self == Int8.self || T.self == UInt8.self
    }

    /// nil when `T` is not a scalar type.
    private func scalarValue<T>(_ type: T.Type) throws -> T? {
        guard Self.isScalarType(type) else { return nil }
        guard let node = effective else { throw fail("missing") }
        guard case .scalar(let scalar) = node else {
            throw fail("expected \(Self.describe(type)), got a \(Self.kind(node))")
        }
        let text = scalar.string
        func bad(_ extra: String = "") -> ConfigError {
            fail("expected \(Self.describe(type)), got '\(text)'\(extra)")
        }
        if T.self == String.self {
            guard !Self.isNull(node) else { throw fail("expected \(Self.describe(type)), got nothing") }
            return text as? T
        }
        if T.self == Bool.self {
            guard let v = Bool.construct(from: scalar) else { throw bad() }
            return v as? T
        }
        if T.self == Double.self || T.self == Float.self {
            guard let v = Double.construct(from: scalar), v.isFinite else { throw bad() }
            return (T.self == Float.self ? Float(v) as Any : v as Any) as? T
        }
        guard let v = Int.construct(from: scalar) else {
            throw bad(Double.construct(from: scalar) != nil ? " (a whole number is needed)" : "")
        }
        let converted: Any? = switch T.self {
        case is Int.Type: v
        case is Int64.Type: Int64(exactly: v)
        case is UInt.Type: UInt(exactly: v)
        case is UInt64.Type: UInt64(exactly: v)
        case is Int32.Type: Int32(exactly: v)
        case is UInt32.Type: UInt32(exactly: v)
        case is Int16.Type: Int16(exactly: v)
        case is UInt16.Type: UInt16(exactly: v)
        case is Int8.Type: Int8(exactly: v)
        case is UInt8.Type: UInt8(exactly: v)
        default: nil
        }
        guard let converted = converted as? T else { throw bad(" (out of range)") }
        return converted
    }

    static func describe<T>(_ type: T.Type) -> String {
        if T.self == String.self { return "a string" }
        if T.self == Bool.self { return "true or false" }
        if T.self == Double.self || T.self == Float.self { return "a number" }
        return "an integer"
    }

    static func kind(_ node: Node) -> String {
        switch node {
        case .scalar: "value"
        case .mapping: "mapping"
        case .sequence: "list"
        case .alias: "alias"
        }
    }

    // MARK: Decoder

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        if requested == nil { requested = [] }
        func mapping(_ n: Node?, user: Bool) throws -> Node.Mapping? {
            guard let n else { return nil }
            if case .mapping(let m) = n { return m }
            if Self.isNull(n) { return nil }
            throw fail("expected a mapping (key: value lines), got a \(Self.kind(n))", at: user ? originOf(n) : nil)
        }
        let user = try mapping(node, user: true)
        let defaults = try mapping(self.defaults, user: false)
        return KeyedDecodingContainer(Keyed<Key>(decoder: self, user: user, defaults: defaults))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard let n = effective else { throw fail("missing") }
        if case .sequence(let s) = n { return Unkeyed(decoder: self, items: Array(s)) }
        if Self.isNull(n) { return Unkeyed(decoder: self, items: []) }
        throw fail("expected a list, got a \(Self.kind(n))")
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { Single(decoder: self) }

    /// The decoder for `key` inside this mapping: the user's value over the default one; nil
    /// when neither has it.
    func child(_ key: String, user: Node.Mapping?, defaults: Node.Mapping?) -> StrictDecoder? {
        let entry = user?.first { $0.key.string == key }
        let fallback = defaults?[key]
        guard entry != nil || fallback != nil else { return nil }
        let childPath = path + [.key(key)]
        let rendered = KeyPathElement.render(childPath)
        var childOrigin = ConfigOrigin.defaultValue
        if let entry {
            if let name = log.environment[rendered] {
                childOrigin = .environment(name)
            } else if let line = entry.key.mark?.line {
                childOrigin = .file(name: log.fileName, line: line)
            } else {
                childOrigin = origin
            }
            log.origins[rendered] = childOrigin
        }
        return StrictDecoder(node: entry?.value, defaults: fallback, path: childPath, origin: childOrigin, log: log)
    }
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) { self.stringValue = "\(intValue)"; self.intValue = intValue }
}

private struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: StrictDecoder
    let user: Node.Mapping?
    let defaults: Node.Mapping?

    var codingPath: [any CodingKey] { decoder.codingPath }
    var allKeys: [Key] {
        let names = (user.map { $0.keys.compactMap(\.string) } ?? []) + (defaults.map { $0.keys.compactMap(\.string) } ?? [])
        return names.compactMap(Key.init(stringValue:))
    }

    private func child(_ key: Key) -> StrictDecoder? {
        decoder.requested?.insert(key.stringValue)
        return decoder.child(key.stringValue, user: user, defaults: defaults)
    }

    private func note<T>(_ key: Key, _ type: T.Type) {
        let path = decoder.path + [.key(key.stringValue)]
        if T.self == [String].self || T.self == [String]?.self {
            decoder.log.noteScalarKey(path, kind: .list)
        } else if T.self == String.self || T.self == String?.self {
            decoder.log.noteScalarKey(path, kind: .string)
        } else if StrictDecoder.isScalarType(type) {
            decoder.log.noteScalarKey(path, kind: .value)
        }
    }

    private func missing(_ key: Key) -> ConfigError {
        ConfigError(keyPath: KeyPathElement.render(decoder.path + [.key(key.stringValue)]), origin: decoder.origin,
                    reason: "missing (required)")
    }

    func contains(_ key: Key) -> Bool { child(key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let c = child(key), let n = c.effective else { return true }
        return StrictDecoder.isNull(n)
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        note(key, type)
        guard let c = child(key) else { throw missing(key) }
        return try c.decodeValue(type)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        note(key, type)
        guard let c = child(key), let n = c.effective, !StrictDecoder.isNull(n) else { return nil }
        return try c.decodeValue(type)
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decode_(type, key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try decode_(type, key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decode_(type, key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decode_(type, key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decode_(type, key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decode_(type, key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decode_(type, key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decode_(type, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decode_(type, key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decode_(type, key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decode_(type, key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decode_(type, key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decode_(type, key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decode_(type, key) }
    private func decode_<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T { try decode(type, forKey: key) }

    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try present(type, key) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try present(type, key) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try present(type, key) }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try present(type, key) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try present(type, key) }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try present(type, key) }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try present(type, key) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try present(type, key) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try present(type, key) }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try present(type, key) }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try present(type, key) }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try present(type, key) }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try present(type, key) }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try present(type, key) }
    private func present<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T? { try decodeIfPresent(type, forKey: key) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey> {
        guard let c = child(key) else { throw missing(key) }
        return try c.container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        guard let c = child(key) else { throw missing(key) }
        return try c.unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { decoder }
    func superDecoder(forKey key: Key) throws -> any Decoder {
        guard let c = child(key) else { throw missing(key) }
        return c
    }
}

private struct Unkeyed: UnkeyedDecodingContainer {
    let decoder: StrictDecoder
    let items: [Node]
    var currentIndex = 0

    init(decoder: StrictDecoder, items: [Node]) {
        self.decoder = decoder
        self.items = items
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    private mutating func next() throws -> StrictDecoder {
        guard currentIndex < items.count else { throw decoder.fail("too few items") }
        let item = items[currentIndex]
        let path = decoder.path + [.index(currentIndex)]
        currentIndex += 1
        let origin = item.mark.map { ConfigOrigin.file(name: decoder.log.fileName, line: $0.line) } ?? decoder.origin
        if decoder.fromUser { decoder.log.origins[KeyPathElement.render(path)] = origin }
        // A user's list replaces the default one whole; its items have no per-index defaults.
        return decoder.fromUser
            ? StrictDecoder(node: item, defaults: nil, path: path, origin: origin, log: decoder.log)
            : StrictDecoder(node: nil, defaults: item, path: path, origin: .defaultValue, log: decoder.log)
    }

    mutating func decodeNil() throws -> Bool {
        guard currentIndex < items.count, StrictDecoder.isNull(items[currentIndex]) else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decodeValue(type) }
    mutating func decode(_ type: Bool.Type) throws -> Bool { try next().decodeValue(type) }
    mutating func decode(_ type: String.Type) throws -> String { try next().decodeValue(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try next().decodeValue(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try next().decodeValue(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try next().decodeValue(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try next().decodeValue(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try next().decodeValue(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try next().decodeValue(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try next().decodeValue(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try next().decodeValue(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next().decodeValue(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next().decodeValue(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next().decodeValue(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next().decodeValue(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: type)
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }
    mutating func superDecoder() throws -> any Decoder { try next() }
}

private struct Single: SingleValueDecodingContainer {
    let decoder: StrictDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool { decoder.effective.map(StrictDecoder.isNull) ?? true }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decodeValue(type) }
    func decode(_ type: Bool.Type) throws -> Bool { try decoder.decodeValue(type) }
    func decode(_ type: String.Type) throws -> String { try decoder.decodeValue(type) }
    func decode(_ type: Double.Type) throws -> Double { try decoder.decodeValue(type) }
    func decode(_ type: Float.Type) throws -> Float { try decoder.decodeValue(type) }
    func decode(_ type: Int.Type) throws -> Int { try decoder.decodeValue(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try decoder.decodeValue(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try decoder.decodeValue(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decoder.decodeValue(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decoder.decodeValue(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try decoder.decodeValue(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decoder.decodeValue(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decoder.decodeValue(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decoder.decodeValue(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decoder.decodeValue(type) }
}
