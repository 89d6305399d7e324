import Testing
import WebRTC

/// RFC 5769 ("Test Vectors for STUN", April 2010), sections 2.1–2.3, byte for byte. The
/// attributes are padded with spaces (0x20), as the RFC prints them.
enum RFC5769 {
    static let password = "VOkJxbRl1RmTxUk/WvJxBt"
    static let transactionID = hex("b7 e7 a7 01 bc 34 d6 86 fa 87 df ae")

    static let request = hex("""
        00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
        00 24 00 04 6e 00 01 ff
        80 29 00 08 93 2f f9 b1 51 26 3b 36
        00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
        00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
        80 28 00 04 e5 7a 3b cf
        """)

    static let ipv4Response = hex("""
        01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
        00 20 00 08 00 01 a1 47 e1 12 a6 43
        00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
        80 28 00 04 c0 7d 4c 96
        """)

    static let ipv6Response = hex("""
        01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
        00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
        00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
        80 28 00 04 c8 fb 0b 4c
        """)

    static let ipv4: [UInt8] = [192, 0, 2, 1]
    static let ipv6 = hex("20 01 0d b8 12 34 56 78 00 11 22 33 44 55 66 77")
    static let port: UInt16 = 32853
}

@Suite struct STUNTests {
    @Test func sampleRequestParsesAndVerifies() throws {
        #expect(RFC5769.request.count == 108)
        #expect(classifyDatagram(RFC5769.request) == .stun)
        let m = try STUN.parse(RFC5769.request)
        #expect(m.isBindingRequest)
        #expect(m.transactionID == RFC5769.transactionID)
        #expect(STUN.username(of: m) == "evtj:h6vY")
        #expect(STUN.localUfrag(of: m) == "evtj")
        #expect(m.priority == 0x6E00_01FF)
        #expect(m.iceControlled == 0x932F_F9B1_5126_3B36)
        #expect(m.iceControlling == nil)
        #expect(!m.useCandidate)
        #expect(m.attribute(STUNMessage.AttributeType.software) == Array("STUN test client".utf8))
        #expect(STUN.checkIntegrity(RFC5769.request, password: RFC5769.password))
        #expect(STUN.checkFingerprint(RFC5769.request))
    }

    @Test func sampleRequestIsReproducedByteForByte() throws {
        let parsed = try STUN.parse(RFC5769.request)
        var message = parsed
        message.attributes.removeAll { $0.type == STUNMessage.AttributeType.messageIntegrity || $0.type == STUNMessage.AttributeType.fingerprint }
        #expect(message.attributes.count == 4)
        let rebuilt = STUN.encode(message, integrityPassword: RFC5769.password, fingerprint: true, padding: 0x20)
        #expect(rebuilt == RFC5769.request)
    }

    @Test func ipv4ResponseParsesAndIsReproduced() throws {
        let m = try STUN.parse(RFC5769.ipv4Response)
        #expect(m.messageClass == .successResponse)
        #expect(m.method == STUNMessage.bindingMethod)
        let mapped = try #require(m.xorMappedAddress)
        #expect(mapped.ip == RFC5769.ipv4)
        #expect(mapped.port == RFC5769.port)
        #expect(STUN.checkIntegrity(RFC5769.ipv4Response, password: RFC5769.password))
        #expect(STUN.checkFingerprint(RFC5769.ipv4Response))

        let response = STUNMessage(messageClass: .successResponse, transactionID: RFC5769.transactionID, attributes: [
            .init(type: STUNMessage.AttributeType.software, value: Array("test vector".utf8)),
            .init(type: STUNMessage.AttributeType.xorMappedAddress,
                  value: STUN.xorMappedAddressValue(ip: RFC5769.ipv4, port: RFC5769.port, transactionID: RFC5769.transactionID)),
        ])
        #expect(STUN.encode(response, integrityPassword: RFC5769.password, padding: 0x20) == RFC5769.ipv4Response)
    }

    @Test func ipv6ResponseParsesAndIsReproduced() throws {
        let m = try STUN.parse(RFC5769.ipv6Response)
        let mapped = try #require(m.xorMappedAddress)
        #expect(mapped.ip == RFC5769.ipv6)
        #expect(mapped.port == RFC5769.port)
        #expect(STUN.checkIntegrity(RFC5769.ipv6Response, password: RFC5769.password))
        #expect(STUN.checkFingerprint(RFC5769.ipv6Response))

        let response = STUNMessage(messageClass: .successResponse, transactionID: RFC5769.transactionID, attributes: [
            .init(type: STUNMessage.AttributeType.software, value: Array("test vector".utf8)),
            .init(type: STUNMessage.AttributeType.xorMappedAddress,
                  value: STUN.xorMappedAddressValue(ip: RFC5769.ipv6, port: RFC5769.port, transactionID: RFC5769.transactionID)),
        ])
        #expect(STUN.encode(response, integrityPassword: RFC5769.password, padding: 0x20) == RFC5769.ipv6Response)
    }

    @Test func wrongPasswordOrTamperedBytesFailIntegrity() {
        #expect(!STUN.checkIntegrity(RFC5769.request, password: "VOkJxbRl1RmTxUk/WvJxBu"))
        #expect(!STUN.checkIntegrity(RFC5769.request, password: ""))
        var tampered = RFC5769.request
        tampered[30] ^= 0x01   // inside SOFTWARE, covered by both
        #expect(!STUN.checkIntegrity(tampered, password: RFC5769.password))
        #expect(!STUN.checkFingerprint(tampered))
        // Without MESSAGE-INTEGRITY there is nothing to check: refused.
        let bare = STUN.encode(STUNMessage(messageClass: .request, transactionID: RFC5769.transactionID), fingerprint: true)
        #expect(!STUN.checkIntegrity(bare, password: RFC5769.password))
        #expect(STUN.checkFingerprint(bare))
    }

    @Test func bindingSuccessAnswersARequest() throws {
        let request = STUN.bindingRequest(transactionID: RFC5769.transactionID, username: "srvr:brws", password: "server-password-0123456789",
                                          priority: 1_845_501_695, iceControlling: 42, useCandidate: true)
        #expect(STUN.checkIntegrity(request, password: "server-password-0123456789"))
        #expect(STUN.checkFingerprint(request))
        let parsed = try STUN.parse(request)
        #expect(parsed.useCandidate)
        #expect(parsed.iceControlling == 42)
        #expect(STUN.localUfrag(of: parsed) == "srvr")

        let response = STUN.bindingSuccess(for: parsed, mappedIP: [127, 0, 0, 1], mappedPort: 54321, password: "server-password-0123456789")
        #expect(classifyDatagram(response) == .stun)
        let r = try STUN.parse(response)
        #expect(r.messageClass == .successResponse)
        #expect(r.transactionID == parsed.transactionID)
        #expect(r.xorMappedAddress?.ip == [127, 0, 0, 1])
        #expect(r.xorMappedAddress?.port == 54321)
        #expect(STUN.checkIntegrity(response, password: "server-password-0123456789"))
        #expect(STUN.checkFingerprint(response))
        #expect(r.attributes.last?.type == STUNMessage.AttributeType.fingerprint)

        let v6 = STUN.bindingSuccess(for: parsed, mappedIP: RFC5769.ipv6, mappedPort: 9, password: "p")
        #expect(try STUN.parse(v6).xorMappedAddress?.ip == RFC5769.ipv6)
    }

    @Test func bindingErrorCarriesCodeAndReason() throws {
        let request = try STUN.parse(RFC5769.request)
        let bytes = STUN.bindingError(for: request, code: 401, reason: "Unauthorized")
        let m = try STUN.parse(bytes)
        #expect(m.messageClass == .errorResponse)
        #expect(m.transactionID == RFC5769.transactionID)
        #expect(m.errorCode?.code == 401)
        #expect(m.errorCode?.reason == "Unauthorized")
        #expect(STUN.checkFingerprint(bytes))
    }

    @Test func truncatedAndGarbageInputsAreErrors() {
        #expect(throws: STUNError.tooShort(0)) { try STUN.parse([]) }
        #expect(throws: STUNError.tooShort(19)) { try STUN.parse(Array(RFC5769.request.prefix(19))) }
        // Every truncation is refused (the length field no longer matches), none traps.
        for n in 20..<RFC5769.request.count {
            let cut = Array(RFC5769.request.prefix(n))
            #expect(throws: STUNError.self) { try STUN.parse(cut) }
            #expect(!STUN.checkIntegrity(cut, password: RFC5769.password))
            #expect(!STUN.checkFingerprint(cut))
        }
        var noCookie = RFC5769.request
        noCookie[4] = 0
        #expect(throws: STUNError.self) { try STUN.parse(noCookie) }
        // An attribute whose length runs past the end, with a consistent header length.
        var overrun = Array(RFC5769.request.prefix(28))
        overrun[3] = 8
        overrun[22] = 0x00; overrun[23] = 0xFF
        #expect(throws: STUNError.self) { try STUN.parse(overrun) }
        // Deterministic pseudo-random garbage, with and without a valid header.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for round in 0..<2000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let count = Int(state >> 54) % 200
            var bytes = (0..<count).map { i in UInt8(truncatingIfNeeded: (state >> UInt64(i % 56)) &+ UInt64(i)) }
            if round % 2 == 0, bytes.count >= 20 {
                bytes[0] = 0; bytes[1] = 1
                bytes[2] = UInt8((bytes.count - 20) >> 8); bytes[3] = UInt8(truncatingIfNeeded: bytes.count - 20)
                bytes[4] = 0x21; bytes[5] = 0x12; bytes[6] = 0xA4; bytes[7] = 0x42
            }
            _ = try? STUN.parse(bytes)
            _ = STUN.checkIntegrity(bytes, password: "x")
            _ = STUN.checkFingerprint(bytes)
            _ = classifyDatagram(bytes)
        }
    }
}

@Suite struct DatagramKindTests {
    @Test func firstByteRangesOfRFC7983() {
        #expect(classifyDatagram([UInt8]()) == .unknown)
        #expect(classifyDatagram([0x16, 0xFE, 0xFD] + [UInt8](repeating: 0, count: 10)) == .dtls)   // DTLS handshake
        #expect(classifyDatagram([20]) == .dtls)
        #expect(classifyDatagram([63]) == .dtls)
        #expect(classifyDatagram([64, 0, 0, 0]) == .unknown)   // TURN channel, not used
        #expect(classifyDatagram([0x80, 96, 0, 1]) == .rtp)
        #expect(classifyDatagram([0x80, 0x80 | 96, 0, 1]) == .rtp)   // marker set, PT 96
        #expect(classifyDatagram([0x80, 200, 0, 6]) == .rtcp)   // SR
        #expect(classifyDatagram([0x81, 206, 0, 2]) == .rtcp)   // PSFB
        #expect(classifyDatagram([0x80, 223, 0, 1]) == .rtcp)
        #expect(classifyDatagram([0x80, 224, 0, 1]) == .rtp)
        #expect(classifyDatagram([0xC0, 96, 0, 1]) == .unknown)
        #expect(classifyDatagram([0x00, 0x01, 0x00]) == .unknown)   // too short for STUN
        #expect(classifyDatagram(RFC5769.request[...]) == .stun)   // any collection, slices too
    }
}
