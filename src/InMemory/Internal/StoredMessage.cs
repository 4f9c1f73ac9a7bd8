using Goflux;

namespace Goflux.InMemory.Internal;

/// <summary>
/// One stored message, as the store hands it out: a value read from the store's slot for its sequence. The store keeps
/// no object per message (a test may retain millions): a slot holds the subject, payload, headers, time and size in 40
/// bytes, the sequence being its position.
/// </summary>
internal readonly struct StoredMessage(ulong sequence, string subject, byte[] data, MessageHeaders? headers, long utcTicks, long size)
{
    public ulong Sequence { get; } = sequence;

    public string Subject { get; } = subject;

    public byte[] Data { get; } = data;

    public MessageHeaders? Headers { get; } = headers;

    /// <summary>Gets when the message was stored, in UTC.</summary>
    public DateTimeOffset Time => new(UtcTicks, TimeSpan.Zero);

    /// <summary>Gets when the message was stored, as UTC ticks.</summary>
    public long UtcTicks { get; } = utcTicks;

    public long Size { get; } = size;
}

/// <summary>What the store keeps for one sequence: an empty slot (a removed or skipped sequence) has no payload.</summary>
internal readonly struct StoreSlot(string subject, byte[] data, MessageHeaders? headers, long utcTicks, long size)
{
    public string Subject { get; } = subject;

    public byte[]? Data { get; } = data;

    public MessageHeaders? Headers { get; } = headers;

    public long UtcTicks { get; } = utcTicks;

    public long Size { get; } = size;

    public bool IsEmpty => Data is null;

    public StoredMessage At(ulong sequence) => new(sequence, Subject, Data!, Headers, UtcTicks, Size);
}
