using System.Text.Json;
using Goflux.InMemory.Internal;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Goflux.InMemory.Server;

internal sealed partial class JetStreamApi
{
    /// <summary>
    /// <c>CONSUMER.CREATE.&lt;stream&gt;[.&lt;name&gt;[.&lt;filter&gt;]]</c> and <c>CONSUMER.DURABLE.CREATE.&lt;stream&gt;.&lt;durable&gt;</c>,
    /// with the server's checks of the subject against the request, in its order.
    /// </summary>
    private NATS.Client.JetStream.Models.ConsumerInfo ConsumerCreate(string stream, string? name, string? filter, bool durableApi, byte[] body)
    {
        var (requestStream, config, action) = ReadCreate(body);
        if (stream != requestStream)
        {
            throw new ApiException(ApiErrors.Of(ApiErrors.StreamMismatch, "stream name in subject does not match request"));
        }

        if (name is not null)
        {
            ConsumerRules.CheckPathSeparators(name);
        }

        if (durableApi)
        {
            if (string.IsNullOrEmpty(config.DurableName))
            {
                throw new ApiException(ApiErrors.Of(ApiErrors.DurableNameNotSet, "consumer expected to be durable but a durable name was not set"));
            }

            if (name != config.DurableName)
            {
                throw Errors.DurableNameMismatch();
            }
        }
        else if (name is not null)
        {
            if (!string.IsNullOrEmpty(config.DurableName) && name != config.DurableName)
            {
                throw Errors.DurableNameMismatch();
            }

            config.Name = name;
        }
        else if (!string.IsNullOrEmpty(config.DurableName))
        {
            throw new ApiException(ApiErrors.Of(ApiErrors.EphemeralWithDurableName, "consumer expected to be ephemeral but a durable name was set in request"));
        }

        if (filter is not null && config.FilterSubjects is { Count: > 0 })
        {
            throw new ApiException(ApiErrors.Of(JetStreamErrorCodes.ConsumerMultipleFiltersNotAllowed, "consumer with multiple subject filters cannot use subject based API"));
        }

        if (filter is not null && config.FilterSubject != filter)
        {
            throw new ApiException(ApiErrors.Of(ApiErrors.FilterSubjectMismatch, "Consumer create request did not match filtered subject from create subject"));
        }

        if (config.NumReplicas > 1)
        {
            throw Errors.ReplicasNotSupported();
        }

        var consumer = action switch
        {
            ConsumerCreateAction.Create => Engine.CreateConsumerAsync(stream, config),
            ConsumerCreateAction.Update => Engine.UpdateConsumerAsync(stream, config),
            _ => Engine.CreateOrUpdateConsumerAsync(stream, config),
        };
        return consumer.AsTask().GetAwaiter().GetResult().Info;
    }

    private NATS.Client.JetStream.Models.ConsumerInfo ConsumerInfo(string stream, string name)
        => Engine.GetConsumerInfoAsync(stream, name).AsTask().GetAwaiter().GetResult();

    private ConsumerDeleteResponse ConsumerDelete(string stream, string name)
    {
        Engine.DeleteConsumerAsync(stream, name).AsTask().GetAwaiter().GetResult();
        return new ConsumerDeleteResponse { Success = true };
    }

    private ConsumerNamesResponse ConsumerNames(string stream, byte[] body)
    {
        var request = ApiJson.Read<ConsumerNamesRequest>(body) ?? new ConsumerNamesRequest();
        var names = Engine.ConsumerNames(stream);
        var offset = Math.Clamp(request.Offset, 0, names.Count);
        return new ConsumerNamesResponse { Total = names.Count, Offset = offset, Limit = NamesLimit, Consumers = [.. names.Skip(offset).Take(NamesLimit)] };
    }

    private ConsumerListResponse ConsumerList(string stream, byte[] body)
    {
        var request = ApiJson.Read<ConsumerListRequest>(body) ?? new ConsumerListRequest();
        var names = Engine.ConsumerNames(stream);
        var offset = Math.Clamp(request.Offset, 0, names.Count);
        var infos = new List<NATS.Client.JetStream.Models.ConsumerInfo>();
        foreach (var n in names.Skip(offset).Take(ListLimit))
        {
            try
            {
                infos.Add(Engine.GetConsumerInfoAsync(stream, n).AsTask().GetAwaiter().GetResult());
            }
            catch (GofluxException)
            {
                // deleted meanwhile
            }
        }

        return new ConsumerListResponse { Total = names.Count, Offset = offset, Limit = ListLimit, Consumers = infos };
    }

    /// <summary>Reads a consumer create request (NATS.Net's request type is internal: its three members are read here,
    /// the configuration with NATS.Net's serializer).</summary>
    private static (string? Stream, ConsumerConfig Config, ConsumerCreateAction Action) ReadCreate(byte[] body)
    {
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("a consumer create request is a JSON object");
        }

        var stream = root.TryGetProperty("stream_name", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        var config = root.TryGetProperty("config", out var c) && c.ValueKind == JsonValueKind.Object
            ? ApiJson.Read<ConsumerConfig>(System.Text.Encoding.UTF8.GetBytes(c.GetRawText())) ?? new ConsumerConfig()
            : new ConsumerConfig();
        if (c.ValueKind != JsonValueKind.Object || !c.TryGetProperty("ack_policy", out _))
        {
            // The server's zero value is "none"; NATS.Net's enum starts at Explicit (NATS.Net itself always sends it).
            config.AckPolicy = ConsumerConfigAckPolicy.None;
        }

        var action = root.TryGetProperty("action", out var a) && a.ValueKind == JsonValueKind.String
            ? a.GetString() switch
            {
                "create" => ConsumerCreateAction.Create,
                "update" => ConsumerCreateAction.Update,
                "" => ConsumerCreateAction.CreateOrUpdate,
                _ => throw new ApiException(ApiErrors.Of(ApiErrors.InvalidJson, "invalid JSON")),
            }
            : ConsumerCreateAction.CreateOrUpdate;
        return (stream, config, action);
    }
}
