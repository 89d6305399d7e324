/// One WHEP viewer or WHIP publisher, as `MediaSessions` keeps it.
protocol MediaSession: PeerConnectionDelegate {
    var id: String { get }
    /// The transport accepted the peer; media flows after `peerConnected`.
    func registered(_ pc: PeerConnection)
    /// Ends the session (DELETE, shutdown, takeover): closes the peer and stops its media.
    func close(reason: String)
}
