using Goflux;

namespace Goflux.InMemory.Internal;

/// <summary>
/// One stored message. Kept small, since a test may retain millions: 64 bytes of managed heap beside the payload array
/// (the time as UTC ticks; the message id is not kept, the duplicate window has it).
/// </summary>
internal sealed class StoredMessage(ulong sequence, string subject, byte[] data, MessageHeaders? headers, DateTimeOffset time, long size)
{
    private readonly long _utcTicks = time.UtcTicks;

    public ulong Sequence { get; } = sequence;

    public string Subject { get; } = subject;

    public byte[] Data { get; } = data;

    public MessageHeaders? Headers { get; } = headers;

    /// <summary>Gets when the message was stored, in UTC.</summary>
    public DateTimeOffset Time => new(_utcTicks, TimeSpan.Zero);

    public long Size { get; } = size;
}
