using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace Goflux.InMemory.Server;

/// <summary>
/// Publishes the engine's advisories on <c>$JS.EVENT.ADVISORY.&gt;</c> as the server's JSON events (type, id, timestamp
/// on the engine's clock, stream, consumer, sequences, deliveries, reason), to whoever subscribed; plus the stream
/// CREATED, UPDATED and DELETED advisories of the API requests that made those changes.
/// </summary>
internal sealed class AdvisoryPublisher : IDisposable
{
    private const string StreamActionType = "io.nats.jetstream.advisory.v1.stream_action";
    private readonly NatsServer _server;

    public AdvisoryPublisher(NatsServer server)
    {
        _server = server;
        server.Engine.AdvisoryRaised += OnAdvisory;
    }

    public void Dispose() => _server.Engine.AdvisoryRaised -= OnAdvisory;

    /// <summary>A stream was created (<c>create</c>), updated (<c>modify</c>) or deleted (<c>delete</c>) through the API.</summary>
    public void StreamAction(string stream, string action)
    {
        var verb = action switch
        {
            "create" => "CREATED",
            "delete" => "DELETED",
            _ => "UPDATED",
        };
        var subject = $"$JS.EVENT.ADVISORY.STREAM.{verb}.{stream}";
        if (!_server.Router.HasInterest(subject))
        {
            return;
        }

        var json = Write(j =>
        {
            Typed(j, StreamActionType, _server.Engine.TimeProvider.GetUtcNow());
            j.WriteString("stream", stream);
            j.WriteString("action", action);
        });
        _server.Send(subject, subject, null, [], json, out _);
    }

    private static void Typed(Utf8JsonWriter j, string type, DateTimeOffset time)
    {
        j.WriteString("type", type);
        j.WriteString("id", NewId());
        j.WriteString("timestamp", time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture));
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var w = new ArrayBufferWriter<byte>(256);
        using (var j = new Utf8JsonWriter(w))
        {
            j.WriteStartObject();
            body(j);
            j.WriteEndObject();
        }

        return w.WrittenSpan.ToArray();
    }

    /// <summary>An event id in the shape of the server's (22 characters of base62, like a NUID).</summary>
    private static string NewId()
    {
        const string alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        Span<char> id = stackalloc char[22];
        for (var i = 0; i < id.Length; i++)
        {
            id[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        }

        return new string(id);
    }

    private void OnAdvisory(object? sender, JetStreamAdvisory a)
    {
        if (!_server.Router.HasInterest(a.Subject))
        {
            return;
        }

        var json = Write(j =>
        {
            Typed(j, a.Type, a.Timestamp);
            j.WriteString("stream", a.Stream);
            j.WriteString("consumer", a.Consumer);
            switch (a.Type)
            {
                case JetStreamAdvisory.MaxDeliverType:
                    j.WriteNumber("stream_seq", a.StreamSequence ?? 0);
                    j.WriteNumber("deliveries", a.Deliveries ?? 0);
                    break;
                case JetStreamAdvisory.NakType:
                case JetStreamAdvisory.TerminatedType:
                    j.WriteNumber("consumer_seq", a.ConsumerSequence ?? 0);
                    j.WriteNumber("stream_seq", a.StreamSequence ?? 0);
                    j.WriteNumber("deliveries", a.Deliveries ?? 0);
                    if (!string.IsNullOrEmpty(a.Reason))
                    {
                        j.WriteString("reason", a.Reason);
                    }

                    break;
                case JetStreamAdvisory.ConsumerActionType:
                    j.WriteString("action", a.Subject.Contains(".CREATED.", StringComparison.Ordinal) ? "create" : "delete");
                    break;
            }
        });
        _server.Send(a.Subject, a.Subject, null, [], json, out _);
    }
}
