import NIOCore

/// A command message (type 20, or 17 with its leading AMF3 format byte): name, transaction
/// ID, command object, arguments.
public struct RTMPCommand: Sendable, Equatable {
    public var name: String
    public var transactionID: Double
    public var commandObject: AMFValue
    public var arguments: [AMFValue]

    public init(name: String, transactionID: Double, commandObject: AMFValue = .null, arguments: [AMFValue] = []) {
        self.name = name
        self.transactionID = transactionID
        self.commandObject = commandObject
        self.arguments = arguments
    }

    public init(message: RTMPMessage) throws {
        var payload = message.payload
        if message.type == .amf3Command, payload.getInteger(at: payload.readerIndex, as: UInt8.self) == 0 {
            payload.moveReaderIndex(forwardBy: 1)
        }
        let values = try AMF0.readAll(&payload)
        guard let name = values.first?.string else { throw RTMPError.malformedMessage("command without a name") }
        self.name = name
        self.transactionID = values.count > 1 ? values[1].number ?? 0 : 0
        self.commandObject = values.count > 2 ? values[2] : .null
        self.arguments = values.count > 3 ? Array(values[3...]) : []
    }

    public func message(streamID: UInt32, chunkStreamID: Int = RTMPChunkStreamID.command) -> RTMPMessage {
        let payload = AMF0.encode([.string(name), .number(transactionID), commandObject] + arguments)
        return RTMPMessage(chunkStreamID: chunkStreamID, type: .amf0Command, streamID: streamID, timestamp: 0, payload: payload)
    }
}
