namespace Goflux.InMemory;

/// <summary>A message stored in a stream, as a message get returns it.</summary>
/// <param name="Sequence">Its stream sequence.</param>
/// <param name="Subject">The subject it was published to.</param>
/// <param name="Data">The payload: read-only, unchanged for as long as it is held (a slice of a page the engine shares
/// between payloads, see <see cref="InMemoryDelivery.Data"/>).</param>
/// <param name="Headers">The headers, verbatim (S-22), or <see langword="null"/>.</param>
/// <param name="Time">When it was stored (the engine's clock).</param>
public sealed record InMemoryStoredMessage(ulong Sequence, string Subject, ReadOnlyMemory<byte> Data, MessageHeaders? Headers, DateTimeOffset Time);
