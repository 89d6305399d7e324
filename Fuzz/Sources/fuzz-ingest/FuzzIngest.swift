import Bitstream
import MediaCore
import NIOCore
import RTMP

/// libFuzzer entry: the first byte picks a parser, the rest is its input. Every parser must
/// reject bad input with an error or nil; a trap (bounds, overflow, unwrap) is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch data[0] % 5 {
    case 0: publishSession(bytes)
    case 1: handshake(bytes)
    case 2: bitstream(bytes)
    case 3: amf(bytes)
    default: parameterSets(bytes)
    }
    return 0
}

/// A valid connect + publish, then the fuzzer's bytes as more chunks: decoder, session, FLV ingest.
func publishSession(_ bytes: [UInt8]) {
    var decoder = RTMPChunkDecoder(maxMessageSize: 1 << 16)
    var session = RTMPServerSession()
    var ingest = FLVIngest()
    var encoder = RTMPChunkEncoder()
    var input = ByteBuffer()
    encoder.encode(RTMPCommand(name: "connect", transactionID: 1, commandObject: .object([AMFProperty("app", .string("a"))])).message(streamID: 0), into: &input)
    encoder.encode(RTMPCommand(name: "publish", transactionID: 2, arguments: [.string("s")]).message(streamID: 1), into: &input)
    input.writeBytes(bytes)
    do {
        while let m = try decoder.decode(buffer: &input) {
            for action in try session.received(m) {
                if case .publish(let id, _, _) = action { _ = session.publishAccepted(streamID: id) }
                if case .media(let media) = action { _ = try ingest.handle(media, wallClock: 0) }
            }
        }
    } catch {
        return // rejected: fine
    }
}

func handshake(_ bytes: [UInt8]) {
    var h = RTMPServerHandshake()
    var input = ByteBuffer(bytes: bytes)
    _ = try? h.feed(&input)
}

func bitstream(_ bytes: [UInt8]) {
    _ = AVCDecoderConfigurationRecord(bytes: bytes)
    _ = HEVCDecoderConfigurationRecord(bytes: bytes)
    _ = AVCDecoderConfigurationRecord(annexB: bytes)
    _ = NALUnits.splitAnnexB(bytes)
    _ = NALUnits.splitLengthPrefixed(bytes)
    _ = NALUnits.lengthPrefixedToAnnexB(bytes, lengthSize: Int(bytes.first ?? 4) % 5)
    _ = SEIMessage.parse(nal: bytes)
    _ = SEIMessage.parse(nal: bytes, hevc: true)
    _ = SEIMessage.userDataUnregistered(inLengthPrefixed: bytes)
    _ = EmulationPrevention.remove(bytes)
    _ = ADTSHeader(bytes)
}

/// SPS, avcC/hvcC and AudioSpecificConfig parsers: an error, or sizes within their bounds.
func parameterSets(_ bytes: [UInt8]) {
    let sizes = [(try? H264SPS(nal: bytes)).map { ($0.width, $0.height) },
                 (try? H265SPS(nal: bytes)).map { ($0.width, $0.height) },
                 (try? H264SPS(avcC: bytes)).map { ($0.width, $0.height) },
                 (try? H265SPS(hvcC: bytes)).map { ($0.width, $0.height) }]
    for case let (w, h)? in sizes {
        precondition((1...VideoLimits.maxDimension).contains(w) && (1...VideoLimits.maxDimension).contains(h), "unbounded size \(w)x\(h)")
    }
    _ = try? AACAudioSpecificConfig(bytes)
}

func amf(_ bytes: [UInt8]) {
    var buffer = ByteBuffer(bytes: bytes)
    _ = try? AMF0.readAll(&buffer)
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// SwiftPM links an executable's entry point under this name; hand over to libFuzzer's driver.
@_cdecl("fuzz_ingest_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector, fuzz)
}
