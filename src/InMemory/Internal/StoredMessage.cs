using Goflux;

namespace Goflux.InMemory.Internal;

internal sealed class StoredMessage
{
    public StoredMessage(ulong sequence, string subject, byte[] data, MessageHeaders? headers, DateTimeOffset time, string? msgId, long size)
    {
        Sequence = sequence;
        Subject = subject;
        Data = data;
        Headers = headers;
        Time = time;
        MsgId = msgId;
        Size = size;
    }

    public ulong Sequence { get; }

    public string Subject { get; }

    public byte[] Data { get; }

    public MessageHeaders? Headers { get; }

    public DateTimeOffset Time { get; }

    public string? MsgId { get; }

    public long Size { get; }
}
