import CFFmpeg

/// Options for an FFmpeg call that takes an `AVDictionary**` (codec, muxer, demuxer, protocol
/// options). Owns the dictionary; FFmpeg removes the options it used, so what is left after
/// the call is what it did not know.
final class AVOptions {
    var pointer: OpaquePointer?

    init(_ options: [String: String]) {
        for (key, value) in options { av_dict_set(&pointer, key, value, 0) }
    }

    deinit { av_dict_free(&pointer) }

    /// Keys the call left unused, sorted.
    var remainingKeys: [String] {
        var keys: [String] = []
        var entry: UnsafeMutablePointer<AVDictionaryEntry>? = nil
        while let e = av_dict_get(pointer, "", entry, AV_DICT_IGNORE_SUFFIX) {
            keys.append(String(cString: e.pointee.key))
            entry = e
        }
        return keys.sorted()
    }
}
