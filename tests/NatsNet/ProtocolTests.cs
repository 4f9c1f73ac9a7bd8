using System.Net.Sockets;
using System.Text;
using FluentAssertions;
using Goflux.InMemory;
using Goflux.Testing;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.Core;
using Xunit;

namespace Goflux.NatsNet.Tests;

/// <summary>
/// The client protocol itself, byte by byte, on a raw connection: hostile and malformed input gets the server's
/// <c>-ERR</c> (and the server's decision to close or not), never a hang or a crashed engine. Each case runs on a TCP
/// connection to nats-server 2.10.27 and on a raw in-process socket to the engine.
/// </summary>
public abstract class ProtocolTests : IAsyncLifetime
{
    private IRawConnection? _raw;

    protected IRawConnection Raw => _raw ?? throw new InvalidOperationException("not connected");

    public async ValueTask InitializeAsync()
    {
        _raw = await ConnectAsync();
        (await Raw.ReadLineAsync()).Should().StartWith("INFO {", "the server speaks first");
        await Raw.SendAsync("CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true,\"no_responders\":true,\"protocol\":1}\r\nPING\r\n");
        (await Raw.ReadLineAsync()).Should().Be("PONG");
    }

    public async ValueTask DisposeAsync()
    {
        if (_raw is not null)
        {
            await _raw.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task UnknownOperation_ErrAndClosed()
    {
        await Raw.SendAsync("FROB foo\r\n");

        (await Raw.ReadLineAsync()).Should().Be("-ERR 'Unknown Protocol Operation'");
        (await Raw.ReadToEndAsync()).Should().BeEmpty("the connection is closed after the error");
    }

    [Fact]
    public async Task PublishOverMaxPayload_ErrAndClosed()
    {
        await Raw.SendAsync("PUB foo 2000000\r\n");

        (await Raw.ReadLineAsync()).Should().Be("-ERR 'Maximum Payload Violation'");
        (await Raw.ReadToEndAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task ControlLineOverTheMaximum_ErrAndClosed()
    {
        await Raw.SendAsync("PUB " + new string('x', 5000) + " 1\r\nx\r\n");

        (await Raw.ReadLineAsync()).Should().Be("-ERR 'maximum control line exceeded'");
        (await Raw.ReadToEndAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task SubscribeToInvalidSubject_ErrAndStillOpen()
    {
        await Raw.SendAsync("SUB foo..bar 1\r\nPING\r\n");

        (await Raw.ReadLineAsync()).Should().Be("-ERR 'Invalid Subject'");
        (await Raw.ReadLineAsync()).Should().Be("PONG", "an invalid subject does not close the connection");
    }

    [Theory]
    [InlineData("PUB foo notanumber")]
    [InlineData("HPUB foo 30 10")]
    [InlineData("SUB a b c d")]
    [InlineData("CONNECT {bad")]
    public async Task OperationWithArgumentsTheServerCannotUse_ClosedWithoutAWord(string line)
    {
        await Raw.SendAsync(line + "\r\n");

        (await Raw.ReadToEndAsync()).Should().BeEmpty("measured on 2.10.27: the connection closes, no -ERR");
    }

    [Theory]
    [InlineData("SUB")]
    [InlineData("UNSUB")]
    [InlineData("MSG foo 1 2\r\nhi")]
    [InlineData("PUB foo 3\r\nabcdef")]
    public async Task OperationThatDoesNotParse_UnknownProtocolOperationAndClosed(string text)
    {
        await Raw.SendAsync(text + "\r\n");

        (await Raw.ReadLineAsync()).Should().Be("-ERR 'Unknown Protocol Operation'");
        (await Raw.ReadToEndAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task MessageSplitIntoSingleBytes_IsStillDelivered_LowerCaseOpsToo()
    {
        var subject = "split." + Guid.NewGuid().ToString("N")[..8];
        await Raw.SendAsync($"sub {subject} 7\r\n");
        foreach (var b in Encoding.ASCII.GetBytes($"HPUB {subject} reply.to 20 25\r\nNATS/1.0\r\nA: b c\r\n\r\nhello\r\n"))
        {
            await Raw.SendAsync([b]);
        }

        await Raw.SendAsync("PING\r\n");

        (await Raw.ReadLineAsync()).Should().Be($"HMSG {subject} 7 reply.to 20 25");
        (await Raw.ReadLineAsync()).Should().Be("NATS/1.0");
        (await Raw.ReadLineAsync()).Should().Be("A: b c");
        (await Raw.ReadLineAsync()).Should().Be(string.Empty);
        (await Raw.ReadLineAsync()).Should().Be("hello");
        (await Raw.ReadLineAsync()).Should().Be("PONG");
    }

    [Fact]
    public async Task UnsubscribeWithMax_EndsTheSubscriptionAfterThatMany()
    {
        var subject = "max." + Guid.NewGuid().ToString("N")[..8];
        await Raw.SendAsync($"SUB {subject} 9\r\nUNSUB 9 2\r\nPUB {subject} 1\r\na\r\nPUB {subject} 1\r\nb\r\nPUB {subject} 1\r\nc\r\nPING\r\n");

        var lines = new List<string>();
        while (lines.LastOrDefault() != "PONG")
        {
            lines.Add(await Raw.ReadLineAsync());
        }

        lines.Should().Equal($"MSG {subject} 9 1", "a", $"MSG {subject} 9 1", "b", "PONG");
    }

    [Fact]
    public async Task RequestNobodyAnswers_503StatusToTheReplySubject()
    {
        var inbox = "_INBOX." + Guid.NewGuid().ToString("N")[..8];
        await Raw.SendAsync($"SUB {inbox} 3\r\nPUB nobody.{inbox[7..]} {inbox} 2\r\nhi\r\nPING\r\n");

        (await Raw.ReadLineAsync()).Should().Be($"HMSG {inbox} 3 16 16");
        (await Raw.ReadLineAsync()).Should().Be("NATS/1.0 503");
        (await Raw.ReadLineAsync()).Should().Be(string.Empty);
        (await Raw.ReadLineAsync()).Should().Be(string.Empty);
        (await Raw.ReadLineAsync()).Should().Be("PONG");
    }

    protected abstract Task<IRawConnection> ConnectAsync();

    /// <summary>A raw protocol connection, read line by line.</summary>
    public interface IRawConnection : IAsyncDisposable
    {
        Task SendAsync(string text);

        Task SendAsync(byte[] bytes);

        /// <summary>The next line without its CR LF; fails after a few seconds of nothing.</summary>
        Task<string> ReadLineAsync();

        /// <summary>What arrives until the connection closes (fails if it stays open).</summary>
        Task<string> ReadToEndAsync();
    }

    /// <summary>Reads lines over any receive function.</summary>
    internal abstract class LineReader(Func<Memory<byte>, CancellationToken, ValueTask<int>> receive) : IRawConnection
    {
        private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
        private readonly List<byte> _buffer = [];
        private bool _closed;

        public abstract Task SendAsync(byte[] bytes);

        public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text));

        public async Task<string> ReadLineAsync()
        {
            using var guard = new CancellationTokenSource(Patience);
            while (true)
            {
                var nl = _buffer.IndexOf((byte)'\n');
                if (nl >= 0)
                {
                    var line = Encoding.UTF8.GetString(_buffer.GetRange(0, nl).ToArray()).TrimEnd('\r');
                    _buffer.RemoveRange(0, nl + 1);
                    return line;
                }

                if (_closed || !await FillAsync(guard.Token))
                {
                    throw new InvalidOperationException($"the connection closed before a line end; got '{Encoding.UTF8.GetString([.. _buffer])}'");
                }
            }
        }

        public async Task<string> ReadToEndAsync()
        {
            using var guard = new CancellationTokenSource(Patience);
            while (!_closed && await FillAsync(guard.Token))
            {
            }

            var rest = Encoding.UTF8.GetString([.. _buffer]);
            _buffer.Clear();
            return rest;
        }

        public abstract ValueTask DisposeAsync();

        private async Task<bool> FillAsync(CancellationToken cancellationToken)
        {
            var chunk = new byte[4096];
            int n;
            try
            {
                n = await receive(chunk, cancellationToken);
            }
            catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException)
            {
                n = 0;
            }

            if (n == 0)
            {
                _closed = true;
                return false;
            }

            _buffer.AddRange(chunk.AsSpan(0, n).ToArray());
            return true;
        }
    }
}

/// <summary>The protocol cases on a raw in-process socket to the engine.</summary>
public sealed class EngineProtocolTests : ProtocolTests
{
    private InMemoryJetStream? _engine;

    protected override async Task<IRawConnection> ConnectAsync()
    {
        _engine = new InMemoryJetStream(new FakeTimeProvider());
        var opts = _engine.CreateNatsOpts();
        var socket = await opts.SocketConnectionFactory!.ConnectAsync(new Uri(opts.Url), opts, default);
        return new EngineSocket(socket, _engine);
    }

    private sealed class EngineSocket(INatsSocketConnection socket, InMemoryJetStream engine)
        : LineReader((buffer, ct) => socket.ReceiveAsync(buffer).AsTask().WaitAsync(ct).ToValueTask())
    {
        public override async Task SendAsync(byte[] bytes) => await socket.SendAsync(bytes);

        public override async ValueTask DisposeAsync()
        {
            await socket.DisposeAsync();
            await engine.DisposeAsync();
        }
    }
}

/// <summary>The protocol cases on a TCP connection to nats-server 2.10.27 (the oracle).</summary>
public sealed class ServerProtocolTests(NatsServerFixture server) : ProtocolTests
{
    protected override async Task<IRawConnection> ConnectAsync()
    {
        var uri = new Uri(await server.StartAsync());
        var tcp = new TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port);
        return new Tcp(tcp);
    }

    private sealed class Tcp(TcpClient tcp) : LineReader((buffer, ct) => tcp.GetStream().ReadAsync(buffer, ct))
    {
        public override async Task SendAsync(byte[] bytes) => await tcp.GetStream().WriteAsync(bytes);

        public override ValueTask DisposeAsync()
        {
            tcp.Dispose();
            return default;
        }
    }
}

internal static class TaskExtensions
{
    public static ValueTask<T> ToValueTask<T>(this Task<T> task) => new(task);
}
