/// Why an offer cannot be answered; the message is what the WHEP/WHIP client gets back.
public struct SDPError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case malformed, noCommonCodec, missingICECredentials, missingFingerprint, badSetup, noBundle, noRTCPMux, unsupported
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "SDP: \(message)" }
}
