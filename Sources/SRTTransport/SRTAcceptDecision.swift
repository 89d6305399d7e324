/// What the listener answers a caller during the handshake.
public enum SRTAcceptDecision: Sendable, Equatable {
    /// Accept; with a passphrase, libsrt itself rejects a caller whose key does not match.
    case accept(passphrase: String?)
    /// Reject with an access-control code (SRT_REJX_*, e.g. 1403 forbidden, 1405 bad mode) and
    /// the reason for the server's log (the caller only sees the code).
    case reject(code: Int32, reason: String)

    public static let badRequest: Int32 = 1400
    public static let unauthorized: Int32 = 1401
    public static let overload: Int32 = 1402
    public static let forbidden: Int32 = 1403
    public static let notFound: Int32 = 1404
    public static let badMode: Int32 = 1405
    public static let conflict: Int32 = 1409
}
