// swift-tools-version: 6.1
// Coverage-guided fuzzing (libFuzzer) of the parsers a publisher controls: RTMP handshake,
// chunks, AMF0/AMF3 commands, FLV media (AVC/HEVC/AAC configs), NAL and SEI parsing, and
// Bitstream's parameter-set parsers (H.264/HEVC SPS, avcC, hvcC, AudioSpecificConfig).
// Compiles Sluice's MediaCore, Bitstream and RTMP sources through symlinks, instrumented.
// Run: Fuzz/run.sh [seconds]   (see Docs/Development.md)
import PackageDescription

let instrumented: [SwiftSetting] = [.unsafeFlags(["-sanitize=fuzzer,address"])]
let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")

let package = Package(
    name: "SluiceFuzz",
    dependencies: [.package(url: "https://github.com/apple/swift-nio", from: "2.101.2")],
    targets: [
        .target(name: "MediaCore", dependencies: [nioCore], swiftSettings: instrumented),
        .target(name: "Bitstream", dependencies: ["MediaCore", nioCore], swiftSettings: instrumented),
        .target(name: "RTMP", dependencies: ["MediaCore", "Bitstream", nioCore], swiftSettings: instrumented),
        .executableTarget(name: "fuzz-ingest", dependencies: ["RTMP", "Bitstream", "MediaCore", nioCore],
                          swiftSettings: instrumented + [.unsafeFlags(["-parse-as-library"])],
                          linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address", "-use-ld=lld"])]),
    ],
    swiftLanguageModes: [.v6]
)
