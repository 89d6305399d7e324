import Testing
import WebRTC
@testable import WebRTCServer

/// ICE-lite's answer to a Binding request, without sockets.
@Suite struct ICELiteTests {
    static let tid: [UInt8] = Array(1...12)

    static func answer(_ bytes: [UInt8], remoteUfrag: String = "them") throws -> ICELite.Outcome {
        ICELite.answer(bytes, message: try STUN.parse(bytes), localUfrag: "us", localPwd: "our-password-0123456789",
                       remoteUfrag: remoteUfrag, sourceIP: [10, 0, 0, 7], sourcePort: 5000)
    }

    @Test func validRequestIsAnsweredWithItsSource() throws {
        let request = STUN.bindingRequest(transactionID: Self.tid, username: "us:them", password: "our-password-0123456789",
                                          priority: 1, iceControlling: 7, useCandidate: true)
        guard case .success(let response, let nominated) = try Self.answer(request) else {
            Issue.record("not answered")
            return
        }
        #expect(nominated)
        let m = try STUN.parse(response)
        #expect(m.messageClass == .successResponse)
        #expect(m.transactionID == Self.tid)
        #expect(m.xorMappedAddress?.ip == [10, 0, 0, 7])
        #expect(m.xorMappedAddress?.port == 5000)
        #expect(STUN.checkIntegrity(response, password: "our-password-0123456789"))
    }

    @Test func wrongPasswordIs401AndForeignUsernameIsIgnored() throws {
        let wrong = STUN.bindingRequest(transactionID: Self.tid, username: "us:them", password: "guess", priority: 1)
        guard case .unauthorized(let response) = try Self.answer(wrong) else {
            Issue.record("a wrong integrity was not refused")
            return
        }
        #expect(try STUN.parse(response).errorCode?.code == 401)

        let other = STUN.bindingRequest(transactionID: Self.tid, username: "us:someone-else", password: "our-password-0123456789", priority: 1)
        #expect(try Self.answer(other) == .ignore("USERNAME us:someone-else"))

        var badFingerprint = STUN.bindingRequest(transactionID: Self.tid, username: "us:them", password: "our-password-0123456789", priority: 1)
        badFingerprint[badFingerprint.count - 1] ^= 0xFF
        #expect(try Self.answer(badFingerprint) == .ignore("bad FINGERPRINT"))
    }
}
