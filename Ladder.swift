/// The video renditions to produce for a stream, largest first.
///
/// Rungs taller than the source are skipped (no upscaling); sizes are even and keep the
/// source's aspect ratio. `Ladder(parsing: "720p:3000k,480p:1200k@30,360p:700k")` reads the
/// `--ladder` syntax: `<height>p:<bitrate>[k|m][@<max fps>]`, or `<w>x<h>:<bitrate>`.
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
            let part = raw.trimmingCharacters(in: " ")
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
                throw LadderError(spec: spec, reason: "bad bitrate \"\(rateField)\"")
            }
            let size = fields[0].lowercased()
            let name = String(fields[0])
            if size.hasSuffix("p"), let h = Int(size.dropLast()), h > 0 {
                rungs.append(RungSpec(name: name, height: h, bitrate: bitrate, maxFrameRate: fps))
            } else if let x = size.firstIndex(of: "x"), let w = Int(size[..<x]), let h = Int(size[size.index(after: x)...]), w > 0, h > 0 {
                rungs.append(RungSpec(name: "\(h)p", height: h, width: w, bitrate: bitrate, maxFrameRate: fps))
            } else {
                throw LadderError(spec: spec, reason: "bad size \"\(fields[0])\"")
            }
        }
        guard !rungs.isEmpty else { throw LadderError(spec: spec, reason: "no rungs") }
        guard Set(rungs.map(\.name)).count == rungs.count else { throw LadderError(spec: spec, reason: "duplicate rung names") }
        self.init(rungs: rungs)
    }

    static func parseBitrate(_ s: Substring) -> Int? {
        let lower = s.lowercased()
        var scale = 1.0
        var digits = Substring(lower)
        if lower.hasSuffix("k") { scale = 1e3; digits = digits.dropLast() }
        else if lower.hasSuffix("m") { scale = 1e6; digits = digits.dropLast() }
        guard let v = Double(digits), v > 0 else { return nil }
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

extension Substring {
    fileprivate func trimmingCharacters(in set: Character) -> Substring {
        var s = self
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return s
    }
}
