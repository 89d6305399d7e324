/// Decides who may publish or play a path. Called on the connection's event loop: keep it fast
/// (look up a table; do not do network I/O here).
public protocol AccessControl: Sendable {
    func authorize(path: String, query: String, action: AccessAction) -> Bool
}
