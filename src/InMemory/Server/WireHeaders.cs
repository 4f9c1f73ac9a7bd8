using System.Globalization;
using System.Text;

namespace Goflux.InMemory.Server;

/// <summary>NATS header blocks (<c>NATS/1.0[ status]\r\nName: Value\r\n…\r\n</c>) to and from the engine's headers.</summary>
internal static class WireHeaders
{
    private static readonly byte[] Version = "NATS/1.0"u8.ToArray();

    /// <summary>
    /// Reads a published header block into the headers the engine stores. Values are trimmed, as NATS.Net reads them.
    /// </summary>
    /// <returns>The headers, or <see langword="null"/> when the block holds none.</returns>
    /// <exception cref="FormatException">The block is not a NATS header block, or holds a header the engine cannot
    /// keep (the message says which).</exception>
    public static MessageHeaders? Parse(ReadOnlySpan<byte> block)
    {
        if (!block.StartsWith(Version))
        {
            throw new FormatException("the header block does not start with NATS/1.0");
        }

        var nl = block.IndexOf((byte)'\n');
        if (nl < 0)
        {
            throw new FormatException("the header block has no line end");
        }

        MessageHeaders? headers = null;
        var rest = block[(nl + 1)..];
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf((byte)'\n');
            var line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[(end + 1)..];
            if (!line.IsEmpty && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }

            if (line.IsEmpty)
            {
                continue;
            }

            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                throw new FormatException($"header line '{Encoding.ASCII.GetString(line)}' has no name");
            }

            var name = Encoding.ASCII.GetString(line[..colon]).Trim();
            var value = Encoding.ASCII.GetString(line[(colon + 1)..]).Trim();
            try
            {
                (headers ??= new MessageHeaders()).Add(name, value);
            }
            catch (ArgumentException ex)
            {
                throw new FormatException($"the in-memory engine cannot store header '{name}': {ex.Message}", ex);
            }
        }

        return headers;
    }

    /// <summary>Writes stored headers as a block, or returns an empty array when there are none.</summary>
    public static byte[] Write(MessageHeaders? headers)
    {
        if (headers is null || headers.Count == 0)
        {
            return [];
        }

        var sb = new StringBuilder("NATS/1.0\r\n");
        foreach (var (name, values) in headers)
        {
            foreach (var v in values)
            {
                sb.Append(name).Append(": ").Append(v).Append("\r\n");
            }
        }

        sb.Append("\r\n");
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    /// <summary>A status block as the server writes it: <c>NATS/1.0 code description</c> and optional headers.</summary>
    public static byte[] Status(int code, string? description, params (string Name, long Value)[] headers)
    {
        var sb = new StringBuilder("NATS/1.0 ");
        sb.Append(code.ToString(CultureInfo.InvariantCulture));
        if (!string.IsNullOrEmpty(description))
        {
            sb.Append(' ').Append(description);
        }

        sb.Append("\r\n");
        foreach (var (name, value) in headers)
        {
            sb.Append(name).Append(": ").Append(value.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        }

        sb.Append("\r\n");
        return Encoding.ASCII.GetBytes(sb.ToString());
    }
}
