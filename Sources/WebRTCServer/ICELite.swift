import WebRTC

/// ICE-lite's answer to one STUN Binding request (RFC 8445 lite, RFC 8489), pure: the transport
/// has already found the session by the USERNAME's first part.
enum ICELite {
    enum Outcome: Equatable {
        /// Integrity checked: answer, and bind the source when nominated (or when nothing is bound yet).
        case success(response: [UInt8], nominated: Bool)
        /// Integrity failed: 401 (RFC 8489 section 9.1.3), no binding.
        case unauthorized(response: [UInt8])
        /// Not a request we answer (a response, an indication, a bad FINGERPRINT, a foreign USERNAME).
        case ignore(String)
    }

    static func answer(_ bytes: [UInt8], message: STUNMessage, localUfrag: String, localPwd: String, remoteUfrag: String,
                       sourceIP: [UInt8], sourcePort: UInt16) -> Outcome {
        guard message.isBindingRequest else { return .ignore("not a Binding request") }
        guard let username = STUN.username(of: message) else { return .ignore("no USERNAME") }
        // "ours:theirs": the second half must be the ufrag the peer's SDP announced.
        let parts = username.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == localUfrag, parts[1] == remoteUfrag else { return .ignore("USERNAME \(username.prefix(80))") }
        if message.attribute(STUNMessage.AttributeType.fingerprint) != nil, !STUN.checkFingerprint(bytes) {
            return .ignore("bad FINGERPRINT")
        }
        guard STUN.checkIntegrity(bytes, password: localPwd) else {
            return .unauthorized(response: STUN.bindingError(for: message, code: 401, reason: "Unauthorized"))
        }
        return .success(response: STUN.bindingSuccess(for: message, mappedIP: sourceIP, mappedPort: sourcePort, password: localPwd),
                        nominated: message.useCandidate)
    }
}
