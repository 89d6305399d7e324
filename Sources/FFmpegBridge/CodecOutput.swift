/// One step of FFmpeg's send/receive loop. "Needs more input" and "end of stream" are states
/// of the loop, not errors.
public enum CodecOutput<Output> {
    case output(Output)
    case needsInput
    case endOfStream
}

/// The answer to sending input to a codec.
public enum SendStatus: Sendable, Equatable {
    case accepted
    /// The codec holds output that must be received before it takes more input; send again.
    case outputPending
    /// The codec was flushed and takes no more input.
    case ended
}
