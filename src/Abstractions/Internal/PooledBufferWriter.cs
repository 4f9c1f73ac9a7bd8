using System.Buffers;

namespace Goflux.Internal;

internal sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
{
    [ThreadStatic]
    private static PooledBufferWriter? _cached;

    private byte[] _buffer;
    private int _written;

    private PooledBufferWriter(int initialCapacity) => _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    public int WrittenCount => _written;

    public static PooledBufferWriter Rent()
    {
        var w = _cached;
        if (w is not null)
        {
            _cached = null;
            return w;
        }

        return new PooledBufferWriter(512);
    }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_written + count > _buffer.Length)
        {
            throw new InvalidOperationException("Advanced past the end of the buffer.");
        }

        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    public void Dispose()
    {
        _written = 0;
        if (_cached is not null)
        {
            // Publishes overlapped on this thread (a writer is held across the transport's await), and the slot is
            // taken: give the array back to the pool instead of leaving it to the garbage collector.
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
            return;
        }

        if (_buffer.Length > 64 * 1024)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(512);
        }

        _cached = this;
    }

    private void Ensure(int sizeHint)
    {
        if (sizeHint < 1)
        {
            sizeHint = 1;
        }

        if (_buffer.Length - _written >= sizeHint)
        {
            return;
        }

        var next = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _written + sizeHint));
        _buffer.AsSpan(0, _written).CopyTo(next);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = next;
    }
}
