namespace Goflux;

/// <summary>
/// What the transport acknowledged for a publish.
/// </summary>
/// <param name="Stream">The stream that stored the message, or <see langword="null"/> where the transport has none.</param>
/// <param name="Sequence">The stream sequence (0 where the transport has none).</param>
/// <param name="Duplicate">Whether the server recognised the message id as a duplicate and did not store it again.</param>
public readonly record struct PublishResult(string? Stream, ulong Sequence, bool Duplicate);
