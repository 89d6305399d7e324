// swift-tools-version: 6.1
// Coverage-guided fuzzing (libFuzzer) of the parsers the network controls, one executable per
// area so each keeps its own corpus (Fuzz/corpus/<target>/) and execution count:
//   fuzz-ingest    RTMP handshake, chunks, AMF0/AMF3, FLV media, NAL/SEI, SPS/avcC/hvcC/ASC
//   fuzz-http      HTTP/1 request bytes → NIO's decoder → the origin's path and query parsing
//   fuzz-streamid  SRT streamid → admission's resource split → StreamPath validation
//   fuzz-playlist  PlaylistReader (media and multivariant M3U8)
//   fuzz-ts        MPEG-TS bytes → libavformat's mpegts demuxer (custom AVIO) → TSUnitBuilder
//   fuzz-tsunits   TSUnitBuilder alone, fed demuxed packets (fuzz-ts runs ~100 inputs/s)
//   fuzz-webrtc    the WebRTC port's datagrams (RFC 7983 demux, STUN, RTCP, RTP → H.264) and SDP offers
// Product sources are compiled through symlinks, instrumented; where a product module pulls
// in too much (FFmpeg, Hummingbird, libsrt), single files are linked into a small module here.
// Run: Fuzz/run.sh [seconds per target] [targets...]   (see Docs/Development.md)
import Foundation
import PackageDescription

// -O after SwiftPM's -Onone (the last one wins): several times the executions per second.
// -enable-testing: the harnesses reach internal parsers (OriginRequest, TSUnitBuilder).
// FUZZ_SANITIZERS=fuzzer (no ASan) is for long throughput runs of targets whose cost is
// ASan's bookkeeping of libavformat's allocations (fuzz-ts); Swift's own bounds and overflow
// checks still trap. Use a separate --scratch-path for it (run.sh does).
let sanitizers = ProcessInfo.processInfo.environment["FUZZ_SANITIZERS"] ?? "fuzzer,address"
let instrumented: [SwiftSetting] = [.unsafeFlags(["-sanitize=\(sanitizers)", "-O", "-enable-testing"])]
let fuzzerLink: [LinkerSetting] = [.unsafeFlags(["-sanitize=\(sanitizers)", "-use-ld=lld"])]
let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")

func fuzzer(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(name: name, dependencies: dependencies,
                      swiftSettings: instrumented + [.unsafeFlags(["-parse-as-library"])],
                      linkerSettings: fuzzerLink)
}

let package = Package(
    name: "SluiceFuzz",
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        .systemLibrary(name: "CFFmpeg", pkgConfig: "libavformat"),
        .systemLibrary(name: "COpus", pkgConfig: "opus"),
        .target(name: "CMediaShims", dependencies: ["CFFmpeg", "COpus"]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib"),

        .target(name: "MediaCore", dependencies: [nioCore], swiftSettings: instrumented),
        .target(name: "Bitstream", dependencies: ["MediaCore", nioCore], swiftSettings: instrumented),
        .target(name: "RTMP", dependencies: ["MediaCore", "Bitstream", nioCore], swiftSettings: instrumented),
        // HLS's text parsers and the origin's URL parser (the rest of HLS and Origin needs FFmpeg
        // and Hummingbird's server).
        .target(name: "HLSParse", dependencies: [nioCore], swiftSettings: instrumented),
        // SRTTransport's streamid parser and StreamHub's path validation (no libsrt).
        .target(name: "StreamIDParse", swiftSettings: instrumented),
        // FFmpegBridge's demuxer and what it needs; TSUnitBuilder from Ingest.
        .target(name: "FFmpegBridge", dependencies: ["CFFmpeg", "CMediaShims", "MediaCore", nioCore], swiftSettings: instrumented),
        .target(name: "TSIngest", dependencies: ["Bitstream", "MediaCore", nioCore], swiftSettings: instrumented),
        // The whole WebRTC module: pure (zlib's CRC-32 and swift-crypto's HMAC-SHA1 for STUN).
        .target(name: "WebRTC", dependencies: ["CZlib", .product(name: "Crypto", package: "swift-crypto")], swiftSettings: instrumented),

        fuzzer("fuzz-ingest", ["RTMP", "Bitstream", "MediaCore", nioCore]),
        fuzzer("fuzz-http", ["HLSParse", nioCore,
                             .product(name: "NIOHTTP1", package: "swift-nio"),
                             .product(name: "NIOEmbedded", package: "swift-nio"),
                             .product(name: "HummingbirdCore", package: "hummingbird")]),
        fuzzer("fuzz-streamid", ["StreamIDParse"]),
        fuzzer("fuzz-playlist", ["HLSParse"]),
        fuzzer("fuzz-ts", ["FFmpegBridge", "TSIngest", "CFFmpeg", "Bitstream", "MediaCore", nioCore]),
        fuzzer("fuzz-tsunits", ["TSIngest", "MediaCore"]),
        fuzzer("fuzz-webrtc", ["WebRTC"]),
    ],
    swiftLanguageModes: [.v6]
)
