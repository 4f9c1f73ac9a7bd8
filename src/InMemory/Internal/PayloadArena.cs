using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Goflux.InMemory.Internal;

/// <summary>
/// The payload bytes of every stream of an engine, copied into shared pages instead of an array per message: a test
/// that keeps millions of messages holds a few hundred large objects for their payloads, not millions of small ones the
/// garbage collector must trace and promote one by one, and a publish writes where the last one did. Runs under the
/// engine lock.
/// </summary>
/// <remarks>
/// <para>Pages are never reused. A payload handed out (a delivery's <c>Data</c>, a message read from a stream) is a
/// slice of its page and keeps the page alive for as long as the caller holds it; the arena stops counting a page once
/// no stored message lives there, and the runtime frees it when nobody else refers to it either.</para>
/// <para>A page outlives most of its messages when a few of them stay (a key-value stream whose keys change at
/// different rates, a stream that keeps its messages beside one that does not): once the pages hold more than twice
/// the live payload bytes plus two pages, the engine copies every live payload into fresh pages
/// (<see cref="NeedsRewrite"/>, <see cref="EngineContext.RewritePayloadsIfWasteful"/>). A rewrite copies about as many
/// bytes as were removed since the last one, so the memory held stays within about twice the live payloads for a
/// cost linear in the bytes published.</para>
/// <para>A page is a plain byte array whose first <see cref="Header"/> bytes count the stored messages living there:
/// a stored message refers to its page, and a page of the large object heap is not an object the collector must look
/// for in the store's tables at every young collection, as a small page-describing object would be.</para>
/// <para>Pages start small and grow with the live bytes (a quarter of them, up to <see cref="MaxPage"/>), so an engine
/// with a handful of messages holds a small page; a payload above <see cref="OwnArrayAbove"/> gets a page of its
/// own.</para>
/// </remarks>
internal sealed class PayloadArena
{
    /// <summary>The largest shared page: above the large object threshold, so pages are never copied between
    /// generations.</summary>
    internal const int MaxPage = 128 * 1024;

    /// <summary>The smallest page.</summary>
    internal const int MinPage = 1024;

    /// <summary>Payloads larger than this get a page of their own.</summary>
    internal const int OwnArrayAbove = 16 * 1024;

    /// <summary>The bytes at the start of every page that count the messages living there.</summary>
    internal const int Header = sizeof(int);

    private byte[]? _current;
    private int _used;
    private long _pageBytes;
    private long _liveBytes;
    private long _rewriteHint;

    /// <summary>Gets the bytes of the pages some stored message lives in (and the page being filled).</summary>
    public long PageBytes => _pageBytes;

    /// <summary>Gets the payload bytes of the stored messages.</summary>
    public long LiveBytes => _liveBytes;

    /// <summary>Gets the payload bytes copied by rewrites so far.</summary>
    public long RewrittenBytes { get; private set; }

    /// <summary>Gets whether the pages hold so much more than the live payloads that they should be rewritten.</summary>
    public bool NeedsRewrite => _pageBytes > (2 * _liveBytes) + (2L * MaxPage);

    /// <summary>Copies <paramref name="data"/> into a page; returns the page (<see langword="null"/> for an empty
    /// payload) and where the copy starts.</summary>
    public byte[]? Add(ReadOnlySpan<byte> data, out int offset)
    {
        offset = 0;
        if (data.IsEmpty)
        {
            return null;
        }

        byte[] page;
        if (data.Length > OwnArrayAbove)
        {
            page = NewPage(Header + data.Length);
            offset = Header;
        }
        else
        {
            if (_current is null || _current.Length - _used < data.Length)
            {
                var want = Header + Math.Max(data.Length, Math.Max(_liveBytes / 4, _rewriteHint));
                Retire(_current);
                _current = NewPage((int)Math.Clamp(BitOperations.RoundUpToPowerOf2((ulong)want), MinPage, MaxPage));
                _used = Header;
            }

            page = _current;
            offset = _used;
            _used += data.Length;
        }

        data.CopyTo(page.AsSpan(offset));
        Live(page)++;
        _liveBytes += data.Length;
        return page;
    }

    /// <summary>Forgets a payload of <paramref name="length"/> bytes that lived in <paramref name="page"/>.</summary>
    public void Remove(byte[] page, int length)
    {
        _liveBytes -= length;
        if (--Live(page) == 0 && !ReferenceEquals(page, _current))
        {
            _pageBytes -= page.Length;
        }
    }

    /// <summary>Starts a rewrite: forgets every page; the caller then adds every live payload again, and calls
    /// <see cref="EndRewrite"/>.</summary>
    public void BeginRewrite()
    {
        _rewriteHint = _liveBytes; // pages sized for everything that is about to be copied
        _current = null;
        _pageBytes = 0;
        _liveBytes = 0;
    }

    /// <summary>Ends a rewrite.</summary>
    public void EndRewrite()
    {
        RewrittenBytes += _liveBytes;
        _rewriteHint = 0;
    }

    /// <summary>The number of stored messages living in <paramref name="page"/>, kept in its first bytes.</summary>
    private static ref int Live(byte[] page) => ref Unsafe.As<byte, int>(ref MemoryMarshal.GetArrayDataReference(page));

    private byte[] NewPage(int size)
    {
        var page = GC.AllocateUninitializedArray<byte>(size);
        Live(page) = 0;
        _pageBytes += size;
        return page;
    }

    private void Retire(byte[]? page)
    {
        if (page is not null && Live(page) == 0)
        {
            _pageBytes -= page.Length;
        }
    }
}
