/// The video renditions to produce for a stream, largest first.
///
/// Rungs taller than the source are skipped (no upscaling); sizes are even and keep the
/// source's aspect ratio. `Ladder(parsing: "720p:3000k,480p:1200k@30,360p:700k")` reads the
/// `--ladder` syntax: `<height>p:<bitrate>[k|m][@<max fps>]`, or `<w>x<h>:<bitrate>`. A bitrate
/// without a unit is kbit/s (`720p:3000` is 3 Mbit/s, as every encoder UI means it).
public struct Ladder: Sendable, Equatable {
    public var rungs: [RungSpec]

    public init(rungs: [RungSpec]) {
        self.rungs = rungs.sorted { $0.height > $1.height }
    }

    /// For a 1080p source: 720p 3000k, 480p 1200k, 360p 700k; 720p keeps up to 60 fps, the
    /// smaller rungs cap at 30 fps.
    public static let `default` = Ladder(rungs: [
        RungSpec(name: "720p", height: 720, bitrate: 3_000_000, maxFrameRate: 60),
        RungSpec(name: "480p", height: 480, bitrate: 1_200_000, maxFrameRate: 30),
        RungSpec(name: "360p", height: 360, bitrate: 700_000, maxFrameRate: 30),
    ])

    public init(parsing spec: String) throws {
        var rungs: [RungSpec] = []
        for raw in spec.split(separator: ",") {
            let part = raw.filter { $0 != " " }
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count == 2 else { throw LadderError(spec: spec, reason: "\"\(part)\" is not SIZE:BITRATE") }
            var rateField = Substring(fields[1])
            var fps: Double? = nil
            if let at = rateField.firstIndex(of: "@") {
                guard let f = Double(rateField[rateField.index(after: at)...]), f > 0 else {
                    throw LadderError(spec: spec, reason: "bad frame rate in \"\(part)\"")
                }
                fps = f
                rateField = rateField[..<at]
            }
            guard let bitrate = Ladder.parseBitrate(rateField) else {
                throw LadderError(spec: spec, reason: "bad bitrate \"\(rateField)\" (e.g. 3000k, 3m or 3000 = kbit/s)")
            }
            guard Ladder.bitrateRange.contains(bitrate) else {
                throw LadderError(spec: spec, reason: "bitrate \"\(rateField)\" is outside 50k–100m")
            }
            if let fps, !(1...240).contains(fps) {
                throw LadderError(spec: spec, reason: "frame rate in \"\(part)\" is outside 1–240")
            }
            let size = fields[0].lowercased()
            if size.hasSuffix("p"), let h = Int(size.dropLast()) {
                guard Ladder.heightRange.contains(h) else {
                    throw LadderError(spec: spec, reason: "height in \"\(part)\" is outside 16–4320")
                }
                rungs.append(RungSpec(name: size, height: h, bitrate: bitrate, maxFrameRate: fps))
            } else if let x = size.firstIndex(of: "x"), let w = Int(size[..<x]), let h = Int(size[size.index(after: x)...]) {
                guard Ladder.heightRange.contains(h), Ladder.widthRange.contains(w) else {
                    throw LadderError(spec: spec, reason: "size in \"\(part)\" is outside 16x16–7680x4320")
                }
                rungs.append(RungSpec(name: size, height: h, width: w, bitrate: bitrate, maxFrameRate: fps))
            } else {
                throw LadderError(spec: spec, reason: "bad size \"\(fields[0])\"")
            }
        }
        guard !rungs.isEmpty else { throw LadderError(spec: spec, reason: "no rungs") }
        guard rungs.count <= Ladder.maxRungs else { throw LadderError(spec: spec, reason: "more than \(Ladder.maxRungs) rungs") }
        guard Set(rungs.map(\.name)).count == rungs.count else { throw LadderError(spec: spec, reason: "duplicate rung names") }
        self.init(rungs: rungs)
    }

    /// What a rung may ask for: the bitrate API's floor up to far beyond any 8K encode.
    public static let bitrateRange = 50_000...100_000_000
    static let heightRange = 16...4320
    static let widthRange = 16...7680
    static let maxRungs = 8

    static func parseBitrate(_ s: Substring) -> Int? {
        let lower = s.lowercased()
        var scale = 1e3 // no unit: kbit/s
        var digits = Substring(lower)
        if lower.hasSuffix("k") { scale = 1e3; digits = digits.dropLast() }
        else if lower.hasSuffix("m") { scale = 1e6; digits = digits.dropLast() }
        guard let v = Double(digits), v > 0, (v * scale).isFinite, v * scale < 1e12 else { return nil }
        return Int((v * scale).rounded())
    }

    /// The rungs for a `width`×`height` source, largest first: taller-than-source rungs are
    /// dropped; widths follow the aspect ratio; both dimensions even.
    public func resolve(sourceWidth: Int, sourceHeight: Int) -> [ResolvedRung] {
        guard sourceWidth > 0, sourceHeight > 0 else { return [] }
        return rungs.compactMap { spec in
            guard spec.height <= sourceHeight else { return nil }
            let height = max(2, spec.height & ~1)
            let width: Int
            if let w = spec.width {
                width = max(2, w & ~1)
                guard width <= sourceWidth else { return nil }
            } else {
                let exact = Double(sourceWidth) * Double(height) / Double(sourceHeight)
                width = max(2, Int((exact / 2).rounded()) * 2)
            }
            return ResolvedRung(spec: spec, width: width, height: height)
        }
    }
}
