import FFmpegBridge
import Foundation
import NIOCore

/// An HLS rendition read through its playlist: over HTTP(S) (any server, `sluice clip`) or
/// from files (a recording directory, which is a relative-URL HLS tree). A multivariant
/// playlist picks the variant named `rendition`, else the one with the highest bandwidth.
public struct PlaylistClipSource: ClipSource {
    /// A playlist or a segment larger than this is refused.
    public static let maxBytes = 256 << 20
    /// The media playlist's location (URL or file path) and text.
    public let location: String
    private let text: String
    private let name: String

    /// `location`: an http(s):// URL, a file:// URL, a playlist file or a directory holding
    /// `index.m3u8`. Reads the playlist (and the variant's, for a multivariant one) now.
    public init(location: String, rendition: String? = nil) throws {
        var location = location
        if location.hasPrefix("file://") { location = String(location.dropFirst(7)) }
        var isDirectory: ObjCBool = false
        if !Self.isHTTP(location), FileManager.default.fileExists(atPath: location, isDirectory: &isDirectory), isDirectory.boolValue {
            location = (location.hasSuffix("/") ? location : location + "/") + "index.m3u8"
        }
        var text = String(decoding: Self.bytesView(try Self.fetch(location, limit: PlaylistReader.maxBytes)), as: UTF8.self)
        var name = rendition ?? URL(fileURLWithPath: location).deletingLastPathComponent().lastPathComponent
        if PlaylistReader.isMultivariant(text) {
            let variants: [PlaylistReader.Variant]
            do { variants = try PlaylistReader.multivariant(text) } catch {
                throw ClipError(.source, "\(location): \(error)")
            }
            func label(_ v: PlaylistReader.Variant) -> String {
                v.name ?? String(v.uri.split(separator: "/").dropLast().last ?? Substring(v.uri))
            }
            let chosen = rendition.map { r in variants.first { label($0) == r || $0.uri == r } }
                ?? variants.max { $0.bandwidth < $1.bandwidth }
            guard let variant = chosen ?? nil else {
                throw ClipError(.malformed, "no rendition \(rendition ?? "") in \(location) (it has \(variants.map(label).joined(separator: ", ")))")
            }
            name = label(variant)
            location = Self.resolve(variant.uri, against: location)
            text = String(decoding: Self.bytesView(try Self.fetch(location, limit: PlaylistReader.maxBytes)), as: UTF8.self)
        }
        self.location = location
        self.text = text
        self.name = name
    }

    public func listing() throws -> ClipListing {
        let media: PlaylistReader.Media
        do { media = try PlaylistReader.media(text) } catch {
            throw ClipError(.source, "\(location): \(error)")
        }
        // Only complete segments (EXTINF and URI); an LL-HLS playlist's open segment has parts only.
        let segments = media.segments.compactMap { s -> ClipSegment? in
            guard let uri = s.uri, let duration = s.duration else { return nil }
            return ClipSegment(uri: uri, initURI: s.map, programDateTime: s.programDateTime.flatMap(ProgramDateTime.parse),
                               duration: duration, discontinuity: s.discontinuity)
        }
        return ClipListing(segments: segments, rendition: name)
    }

    public func bytes(_ uri: String) throws -> ByteBuffer {
        try Self.fetch(Self.resolve(uri, against: location), limit: Self.maxBytes)
    }

    static func isHTTP(_ s: String) -> Bool {
        s.lowercased().hasPrefix("http://") || s.lowercased().hasPrefix("https://")
    }

    /// `uri` relative to the playlist at `base` (a URL or a file path).
    static func resolve(_ uri: String, against base: String) -> String {
        if isHTTP(uri) { return uri }
        if isHTTP(base) { return URL(string: uri, relativeTo: URL(string: base))?.absoluteString ?? uri }
        if uri.hasPrefix("/") { return uri }
        return URL(fileURLWithPath: base).deletingLastPathComponent().appendingPathComponent(uri).path
    }

    static func fetch(_ location: String, limit: Int) throws -> ByteBuffer {
        if isHTTP(location) {
            do { return try URLReader.read(location, maxBytes: limit) } catch let e as FFmpegError {
                throw ClipError(.source, "cannot read \(location): \(e.message)")
            }
        }
        guard let handle = FileHandle(forReadingAtPath: location) else {
            throw ClipError(.source, "cannot read \(location): no such file")
        }
        defer { try? handle.close() }
        let data: Data
        do { data = try handle.read(upToCount: limit + 1) ?? Data() } catch {
            throw ClipError(.source, "cannot read \(location): \(error.localizedDescription)")
        }
        guard data.count <= limit else { throw ClipError(.source, "\(location) is larger than \(limit) bytes") }
        return ByteBuffer(bytes: data)
    }

    static func bytesView(_ b: ByteBuffer) -> [UInt8] { b.getBytes(at: b.readerIndex, length: b.readableBytes) ?? [] }
}
