using Goflux;

namespace Goflux.InMemory.Internal;

/// <summary>
/// One stored message, as the store hands it out: a value read from the store's slot for its sequence. The store keeps
/// no object per message (a test may retain millions): a slot holds the subject, the payload (a slice of one of the
/// engine's pages, <see cref="PayloadArena"/>), headers, time and size in 48 bytes, the sequence being its position.
/// </summary>
internal readonly struct StoredMessage(ulong sequence, string subject, ReadOnlyMemory<byte> data, MessageHeaders? headers, long utcTicks, long size)
{
    public ulong Sequence { get; } = sequence;

    public string Subject { get; } = subject;

    public ReadOnlyMemory<byte> Data { get; } = data;

    public MessageHeaders? Headers { get; } = headers;

    /// <summary>Gets when the message was stored, in UTC.</summary>
    public DateTimeOffset Time => new(UtcTicks, TimeSpan.Zero);

    /// <summary>Gets when the message was stored, as UTC ticks.</summary>
    public long UtcTicks { get; } = utcTicks;

    public long Size { get; } = size;
}

/// <summary>What the store keeps for one sequence: an empty slot (a removed or skipped sequence) has no subject. The
/// payload is a slice of a page of the engine's <see cref="PayloadArena"/> (no page for an empty payload).</summary>
internal readonly struct StoreSlot(string subject, byte[]? page, int offset, int length, MessageHeaders? headers, long utcTicks, long size)
{
    public string? Subject { get; } = subject;

    public byte[]? Page { get; } = page;

    public int Offset { get; } = offset;

    public int Length { get; } = length;

    public ReadOnlyMemory<byte> Data => Page is null ? ReadOnlyMemory<byte>.Empty : new(Page, Offset, Length);

    public MessageHeaders? Headers { get; } = headers;

    public long UtcTicks { get; } = utcTicks;

    public long Size { get; } = size;

    public bool IsEmpty => Subject is null;

    public StoredMessage At(ulong sequence) => new(sequence, Subject!, Data, Headers, UtcTicks, Size);

    /// <summary>This slot with its payload moved to <paramref name="page"/> at <paramref name="offset"/>.</summary>
    public StoreSlot MovedTo(byte[]? page, int offset) => new(Subject!, page, offset, Length, Headers, UtcTicks, Size);
}
