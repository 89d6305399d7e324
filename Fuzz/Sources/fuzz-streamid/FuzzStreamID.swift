import StreamIDParse

/// libFuzzer entry: the input is a caller's streamid as libsrt hands it over (a C string),
/// through what admission does with it. Parse errors are fine; a trap is a finding, and so is
/// a path that validates but breaks StreamPath's own rules.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    // String(cString:) as in SRTListener: up to the first NUL, invalid UTF-8 repaired.
    let raw = String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
    _ = StreamPath.escaped(raw)
    _ = StreamPath.escaped(raw, limit: Int(size % 7))
    guard let id = try? SRTStreamID.parse(raw) else { return 0 }
    // SRTIngestServer.admit: the resource up to `?` names the path.
    let resource = id.resource.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
    guard let path = try? StreamPath(validating: resource) else { return 0 }
    let v = path.value
    precondition(!v.isEmpty && v.utf8.count <= StreamPath.maxLength, "bad length: \(StreamPath.escaped(v))")
    let segments = v.split(separator: "/", omittingEmptySubsequences: false)
    precondition(segments.count <= StreamPath.maxSegments, "too many segments: \(StreamPath.escaped(v))")
    for s in segments {
        precondition(!s.isEmpty && s != "." && s != ".." && s.utf8.count <= StreamPath.maxSegmentLength, "bad segment: \(StreamPath.escaped(v))")
        precondition(s.utf8.allSatisfy { $0 < 0x80 && $0 != UInt8(ascii: "%") }, "unsafe byte: \(StreamPath.escaped(v))")
    }
    // A validated path is its own log text.
    precondition(StreamPath.escaped(v, limit: StreamPath.maxLength) == v, "escaping changed \(v)")
    _ = path.collides(with: String(decoding: bytes.suffix(size / 2), as: UTF8.self))
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// SwiftPM links an executable's entry point under this name; hand over to libFuzzer's driver.
@_cdecl("fuzz_streamid_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector, fuzz)
}
