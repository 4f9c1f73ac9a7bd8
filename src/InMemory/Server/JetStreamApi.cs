using System.Text.Json;
using NATS.Client.JetStream.Models;

namespace Goflux.InMemory.Server;

/// <summary>
/// The JetStream API on <c>$JS.API.&gt;</c>: JSON requests translated into calls on the engine's facade, answered
/// with the server's JSON, status codes, <c>err_code</c> and description, so NATS.Net raises what it raises against
/// nats-server 2.10.27.
/// </summary>
/// <remarks>
/// <para>Subjects are matched as the server's API subscriptions match them (by token count), so a malformed subject
/// gets the server's "bad request" (10003). APIs of later servers (consumer pause, unpin, reset) get that same answer,
/// with a description naming the API. What 2.10 has and the engine does not model (snapshots, restores, templates)
/// is refused with code 501 and a description naming the feature; cluster operations get the
/// single server's "JetStream clustering support required" (10010).</para>
/// <para>Partial files by resource: <c>JetStreamApi.Streams.cs</c>, <c>JetStreamApi.Consumers.cs</c>.</para>
/// </remarks>
internal sealed partial class JetStreamApi(NatsServer server)
{
    /// <summary>The API subject prefix.</summary>
    public const string Prefix = "$JS.API.";

    private long _total;
    private long _errors;

    private InMemoryJetStream Engine => server.Engine;

    /// <summary>Serves a request on <c>$JS.API.…</c>.</summary>
    /// <returns><see langword="false"/> when nothing listens on the subject (a pull request or direct get for a
    /// consumer or stream that does not take them): the publisher gets no responders.</returns>
    public bool Handle(string subject, string? reply, ReadOnlySpan<byte> headers, ReadOnlySpan<byte> body)
    {
        var t = subject[Prefix.Length..].Split('.');
        switch (t)
        {
            case ["CONSUMER", "MSG", "NEXT", var stream, var consumer]:
                return server.Pulls.Next(stream, consumer, reply, body);
            case ["DIRECT", "GET", var stream]:
                return DirectGet(stream, reply, body, lastBySubject: null);
            case ["DIRECT", "GET", var stream, ..]:
                return DirectGet(stream, reply, body, lastBySubject: string.Join('.', t[3..]));
        }

        Interlocked.Increment(ref _total);
        var (type, response) = Dispatch(t, subject, body.ToArray());
        if (reply is not null)
        {
            server.Send(reply, reply, null, [], response, out _);
        }

        return true;
    }

    private (string Type, byte[] Response) Dispatch(string[] t, string subject, byte[] body)
    {
        switch (t)
        {
            case ["INFO"]:
                return Run("account_info_response", AccountInfo);
            case ["STREAM", "CREATE", var name]:
                return Run("stream_create_response", () => StreamCreate(name, body));
            case ["STREAM", "UPDATE", var name]:
                return Run("stream_update_response", () => StreamUpdate(name, body));
            case ["STREAM", "INFO", var name]:
                return Run("stream_info_response", () => StreamInfo(name, body));
            case ["STREAM", "DELETE", var name]:
                return Run("stream_delete_response", () => StreamDelete(name));
            case ["STREAM", "PURGE", var name]:
                return Run("stream_purge_response", () => StreamPurge(name, body));
            case ["STREAM", "NAMES"]:
                return Run("stream_names_response", () => StreamNames(body));
            case ["STREAM", "LIST"]:
                return Run("stream_list_response", () => StreamList(body));
            case ["STREAM", "MSG", "GET", var name]:
                return Run("stream_msg_get_response", () => MessageGet(name, body));
            case ["STREAM", "MSG", "DELETE", var name]:
                return Run("stream_msg_delete_response", () => MessageDelete(name, body));
            case ["STREAM", "SNAPSHOT", _]:
                return Refuse("stream_snapshot_response", ApiErrors.NotModeled("stream snapshots ($JS.API.STREAM.SNAPSHOT)"));
            case ["STREAM", "RESTORE", _]:
                return Refuse("stream_restore_response", ApiErrors.NotModeled("stream restores ($JS.API.STREAM.RESTORE)"));
            case ["STREAM", "LEADER", "STEPDOWN", _]:
                return Refuse("stream_leader_stepdown_response", ApiErrors.Of(ApiErrors.ClusterRequired, "JetStream clustering support required"));
            case ["STREAM", "PEER", "REMOVE", _]:
                return Refuse("stream_remove_peer_response", ApiErrors.Of(ApiErrors.ClusterRequired, "JetStream clustering support required"));
            case ["STREAM", "TEMPLATE", ..]:
                return Refuse("system_response", ApiErrors.NotModeled("stream templates ($JS.API.STREAM.TEMPLATE), deprecated by the server"));
            case ["CONSUMER", "CREATE", var stream]:
                return Run("consumer_create_response", () => ConsumerCreate(stream, null, null, durableApi: false, body));
            case ["CONSUMER", "CREATE", var stream, var name]:
                return Run("consumer_create_response", () => ConsumerCreate(stream, name, null, durableApi: false, body));
            case ["CONSUMER", "CREATE", var stream, var name, ..]:
                return Run("consumer_create_response", () => ConsumerCreate(stream, name, string.Join('.', t[4..]), durableApi: false, body));
            case ["CONSUMER", "DURABLE", "CREATE", var stream, var name]:
                return Run("consumer_create_response", () => ConsumerCreate(stream, name, null, durableApi: true, body));
            case ["CONSUMER", "DURABLE", "CREATE", ..]:
                return Refuse("consumer_create_response", ApiErrors.Of(ApiErrors.DurableNameNotInSubject, "consumer expected to be durable but no durable name set in subject"));
            case ["CONSUMER", "INFO", var stream, var name]:
                return Run("consumer_info_response", () => ConsumerInfo(stream, name));
            case ["CONSUMER", "DELETE", var stream, var name]:
                return Run("consumer_delete_response", () => ConsumerDelete(stream, name));
            case ["CONSUMER", "NAMES", var stream]:
                return Run("consumer_names_response", () => ConsumerNames(stream, body));
            case ["CONSUMER", "LIST", var stream]:
                return Run("consumer_list_response", () => ConsumerList(stream, body));
            case ["CONSUMER", "LEADER", "STEPDOWN", _, _]:
                return Refuse("consumer_leader_stepdown_response", ApiErrors.Of(ApiErrors.ClusterRequired, "JetStream clustering support required"));
            case ["CONSUMER", "PAUSE", _, _]:
                return Refuse("system_response", Later("consumer pause ($JS.API.CONSUMER.PAUSE)", "2.11"));
            case ["CONSUMER", "UNPIN", _, _]:
                return Refuse("system_response", Later("priority groups: unpin ($JS.API.CONSUMER.UNPIN)", "2.11"));
            case ["CONSUMER", "RESET", _, _]:
                return Refuse("system_response", Later("consumer reset ($JS.API.CONSUMER.RESET)", "2.14"));
            case ["META", "LEADER", "STEPDOWN"] or ["SERVER", "REMOVE"] or ["ACCOUNT", ..] or ["META", ..] or ["SERVER", ..]:
                return Refuse("system_response", ApiErrors.NotModeled($"system account requests ({subject}); a 2.10 server leaves them unanswered on a client account"));
            default:
                // nats-server 2.10.27 leaves a request on a subject none of its API handlers takes unanswered (measured);
                // the engine answers at once, as the server's own dispatcher does for a client of its system account.
                return Refuse("system_response", ApiErrors.Of(ApiErrors.BadRequest, $"bad request: no JetStream API takes {subject}"));
        }
    }

    /// <summary>
    /// An API of a later server. nats-server 2.10.27 leaves such a request unanswered (measured: NATS.Net times out with
    /// NatsJSApiNoResponseException); the engine refuses it at once with "bad request" (10003), naming the API.
    /// </summary>
    private static ApiError Later(string what, string version)
        => ApiErrors.Of(ApiErrors.BadRequest, $"bad request: {what} is a nats-server {version} API; the engine follows nats-server 2.10.27, which does not answer it");

    private (string, byte[]) Run<T>(string type, Func<T> handler)
    {
        try
        {
            return (type, ApiJson.Response(type, handler()));
        }
        catch (JsonException)
        {
            return Refuse(type, ApiErrors.Of(ApiErrors.InvalidJson, "invalid JSON"));
        }
        catch (ApiException ex)
        {
            return Refuse(type, ex.Error);
        }
        catch (Exception ex) when (ex is GofluxException or NotSupportedException or ArgumentException)
        {
            return Refuse(type, ApiErrors.From(ex));
        }
        catch (ObjectDisposedException)
        {
            return Refuse(type, ApiErrors.Of(10076, "JetStream not enabled"));
        }
    }

    private (string, byte[]) Refuse(string type, ApiError error)
    {
        Interlocked.Increment(ref _errors);
        return (type, ApiJson.Error(type, error));
    }

    private AccountInfoResponse AccountInfo()
    {
        ulong memory = 0, storage = 0;
        var consumers = 0;
        var names = Engine.StreamNames();
        foreach (var name in names)
        {
            NATS.Client.JetStream.Models.StreamInfo info;
            try
            {
                info = Engine.GetStreamInfoAsync(name).AsTask().GetAwaiter().GetResult();
            }
            catch (GofluxException)
            {
                continue; // deleted meanwhile
            }

            var bytes = (ulong)info.State.Bytes;
            if (info.Config.Storage == StreamConfigStorage.Memory)
            {
                memory += bytes;
            }
            else
            {
                storage += bytes;
            }

            consumers += (int)info.State.ConsumerCount;
        }

        return new AccountInfoResponse
        {
            Memory = memory,
            Storage = storage,
            Streams = names.Count,
            Consumers = consumers,
            Limits = new AccountLimits { MaxMemory = -1, MaxStorage = -1, MaxStreams = -1, MaxConsumers = -1, MaxAckPending = -1 },
            Api = new ApiStats { Level = 1, Total = (ulong)Interlocked.Read(ref _total), Errors = (ulong)Interlocked.Read(ref _errors) },
        };
    }

    /// <summary>An API error decided by the protocol layer (not by the engine).</summary>
    private sealed class ApiException(ApiError error) : Exception(error.Description)
    {
        public ApiError Error { get; } = error;
    }
}
