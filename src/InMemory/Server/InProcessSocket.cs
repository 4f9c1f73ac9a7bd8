using System.Net.Sockets;
using NATS.Client.Core;

namespace Goflux.InMemory.Server;

/// <summary>
/// Hands NATS.Net an in-process socket to the engine instead of a TCP connection (<see cref="NatsOpts.SocketConnectionFactory"/>).
/// </summary>
internal sealed class InProcessSocketFactory(NatsServer server) : INatsSocketConnectionFactory
{
    public ValueTask<INatsSocketConnection> ConnectAsync(Uri uri, NatsOpts opts, CancellationToken cancellationToken)
    {
        if (server.IsDisposed)
        {
            // What a client sees when nothing listens any more: the connection is refused.
            return ValueTask.FromException<INatsSocketConnection>(new SocketException((int)SocketError.ConnectionRefused));
        }

        return new(new InProcessSocket(server.Accept()));
    }
}

/// <summary>The client's end of an in-process connection: what NATS.Net sends is parsed and served at once; what the
/// server writes waits in the connection's <see cref="Outbox"/> until NATS.Net reads it.</summary>
internal sealed class InProcessSocket(ServerConnection connection) : INatsSocketConnection
{
    public ValueTask<int> SendAsync(ReadOnlyMemory<byte> buffer)
    {
        if (connection.IsClosed)
        {
            return ValueTask.FromException<int>(new SocketException((int)SocketError.ConnectionReset));
        }

        connection.Receive(buffer.Span);
        return new(buffer.Length);
    }

    public ValueTask<int> ReceiveAsync(Memory<byte> buffer) => connection.Outbox.ReceiveAsync(buffer);

    public ValueTask DisposeAsync()
    {
        connection.Close();
        return default;
    }
}
