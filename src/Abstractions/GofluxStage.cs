namespace Goflux;

/// <summary>
/// Names the stage of the goflux pipeline at which an operation failed.
/// </summary>
public enum GofluxStage
{
    /// <summary>Publishing a message (validation, the transport publish or its acknowledgement).</summary>
    Publish,

    /// <summary>Starting or running a subscription.</summary>
    Subscribe,

    /// <summary>Encoding a payload into bytes.</summary>
    Encode,

    /// <summary>Decoding bytes into a payload.</summary>
    Decode,

    /// <summary>The transport itself: connection, server or acknowledgement failures.</summary>
    Transport,
}
