using System.Globalization;
using NATS.Client.JetStream.Models;

namespace Goflux.InMemory.Server;

internal sealed partial class JetStreamApi
{
    /// <summary>The most names <c>STREAM.NAMES</c> returns per page (the server's JSApiNamesLimit).</summary>
    private const int NamesLimit = 1024;

    /// <summary>The most infos <c>STREAM.LIST</c> and <c>CONSUMER.LIST</c> return per page (JSApiListLimit).</summary>
    private const int ListLimit = 256;

    private NATS.Client.JetStream.Models.StreamInfo StreamCreate(string name, byte[] body)
    {
        var config = ApiJson.Read<StreamConfig>(body) ?? throw new ApiException(ApiErrors.Of(ApiErrors.InvalidJson, "invalid JSON"));
        CheckName(name, config.Name);
        Internal.StreamRules.CheckPathSeparators(name);
        if (config.Sealed)
        {
            throw new ApiException(ApiErrors.Of(JetStreamErrorCodes.StreamInvalidConfig, "stream configuration for create can not be sealed"));
        }

        var info = Engine.CreateStreamAsync(config).AsTask().GetAwaiter().GetResult();
        server.Advisories.StreamAction(name, "create");
        return info;
    }

    private NATS.Client.JetStream.Models.StreamInfo StreamUpdate(string name, byte[] body)
    {
        var config = ApiJson.Read<StreamConfig>(body) ?? throw new ApiException(ApiErrors.Of(ApiErrors.InvalidJson, "invalid JSON"));
        CheckName(name, config.Name);
        var info = Engine.UpdateStreamAsync(config).AsTask().GetAwaiter().GetResult();
        server.Advisories.StreamAction(name, "modify");
        return info;
    }

    private NATS.Client.JetStream.Models.StreamInfo StreamInfo(string name, byte[] body)
    {
        _ = ApiJson.Read<StreamInfoRequest>(body); // validated as JSON; subject and deleted details are not reported
        return Engine.GetStreamInfoAsync(name).AsTask().GetAwaiter().GetResult();
    }

    private StreamDeleteResponse StreamDelete(string name)
    {
        Engine.DeleteStreamAsync(name).AsTask().GetAwaiter().GetResult();
        server.Advisories.StreamAction(name, "delete");
        return new StreamDeleteResponse { Success = true };
    }

    private StreamPurgeResponse StreamPurge(string name, byte[] body)
    {
        var request = ApiJson.Read<StreamPurgeRequest>(body) ?? new StreamPurgeRequest();
        var purged = Engine.PurgeStreamAsync(name, request).AsTask().GetAwaiter().GetResult();
        return new StreamPurgeResponse { Success = true, Purged = purged };
    }

    private StreamNamesResponse StreamNames(byte[] body)
    {
        var request = ApiJson.Read<StreamNamesRequest>(body) ?? new StreamNamesRequest();
        var names = Filtered(request.Subject);
        var offset = Math.Clamp(request.Offset, 0, names.Count);
        return new StreamNamesResponse
        {
            Total = names.Count,
            Offset = offset,
            Limit = NamesLimit,
            Streams = [.. names.Skip(offset).Take(NamesLimit)],
        };
    }

    private StreamListResponse StreamList(byte[] body)
    {
        var request = ApiJson.Read<StreamListRequest>(body) ?? new StreamListRequest();
        var names = Filtered(request.Subject);
        var offset = Math.Clamp(request.Offset, 0, names.Count);
        var infos = new List<NATS.Client.JetStream.Models.StreamInfo>();
        foreach (var n in names.Skip(offset).Take(ListLimit))
        {
            try
            {
                infos.Add(Engine.GetStreamInfoAsync(n).AsTask().GetAwaiter().GetResult());
            }
            catch (GofluxException)
            {
                // deleted meanwhile
            }
        }

        return new StreamListResponse { Total = names.Count, Offset = offset, Limit = ListLimit, Streams = infos };
    }

    private StreamMsgGetResponse MessageGet(string name, byte[] body)
    {
        var request = ApiJson.Read<StreamMsgGetRequest>(body) ?? throw new ApiException(ApiErrors.Of(ApiErrors.BadRequest, "bad request"));
        var m = Engine.GetMessageAsync(name, request).AsTask().GetAwaiter().GetResult();
        var block = WireHeaders.Write(m.Headers);
        return new StreamMsgGetResponse
        {
            Message = new StoredMessage
            {
                Subject = m.Subject,
                Seq = m.Sequence,
                Data = m.Data,
                Time = m.Time,
                Hdrs = block.Length == 0 ? null : Convert.ToBase64String(block),
            },
        };
    }

    private StreamMsgDeleteResponse MessageDelete(string name, byte[] body)
    {
        var request = ApiJson.Read<StreamMsgDeleteRequest>(body) ?? throw new ApiException(ApiErrors.Of(ApiErrors.BadRequest, "bad request"));
        Engine.DeleteMessageAsync(name, request).AsTask().GetAwaiter().GetResult();
        return new StreamMsgDeleteResponse { Success = true };
    }

    /// <summary>
    /// <c>$JS.API.DIRECT.GET.&lt;stream&gt;[.&lt;subject&gt;]</c>: a stream with <c>allow_direct</c> answers with the
    /// message and the server's <c>Nats-Stream</c>, <c>Nats-Subject</c>, <c>Nats-Sequence</c> and
    /// <c>Nats-Time-Stamp</c> headers, or a status (404 Message Not Found, 408 Empty/Malformed/Bad Request).
    /// </summary>
    private bool DirectGet(string name, string? reply, ReadOnlySpan<byte> body, string? lastBySubject)
    {
        NATS.Client.JetStream.Models.StreamInfo info;
        try
        {
            info = Engine.GetStreamInfoAsync(name).AsTask().GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is GofluxException or ObjectDisposedException)
        {
            return false; // no stream: no direct get subscription
        }

        if (!info.Config.AllowDirect)
        {
            return false;
        }

        if (reply is null)
        {
            return true;
        }

        StreamMsgGetRequest? request = null;
        string? status = null;
        if (lastBySubject is not null)
        {
            if (!ApiJson.IsBlank(body))
            {
                status = "Bad Request";
            }
        }
        else if (ApiJson.IsBlank(body))
        {
            status = "Empty Request";
        }
        else
        {
            try
            {
                request = ApiJson.Read<StreamMsgGetRequest>(body);
            }
            catch (System.Text.Json.JsonException)
            {
                status = "Malformed Request";
            }

            if (request is not null && status is null)
            {
                var last = request.LastBySubj;
                var next = request.NextBySubj;
                if (request.Seq == 0 && string.IsNullOrEmpty(last) && string.IsNullOrEmpty(next))
                {
                    status = "Empty Request";
                }
                else if ((request.Seq > 0 && !string.IsNullOrEmpty(last)) || (!string.IsNullOrEmpty(last) && !string.IsNullOrEmpty(next)))
                {
                    status = "Bad Request";
                }
            }
        }

        if (status is not null)
        {
            server.Send(reply, reply, null, WireHeaders.Status(408, status), [], out _);
            return true;
        }

        InMemoryStoredMessage m;
        try
        {
            m = Engine.GetMessageAsync(name, lastBySubject is not null ? new StreamMsgGetRequest { LastBySubj = lastBySubject } : request!).AsTask().GetAwaiter().GetResult();
        }
        catch (GofluxException)
        {
            server.Send(reply, reply, null, WireHeaders.Status(404, "Message Not Found"), [], out _);
            return true;
        }

        var headers = (m.Headers?.Clone() ?? new MessageHeaders())
            .Set("Nats-Stream", name)
            .Set("Nats-Subject", m.Subject)
            .Set("Nats-Sequence", m.Sequence.ToString(CultureInfo.InvariantCulture))
            .Set("Nats-Time-Stamp", m.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture));
        server.Send(reply, reply, null, WireHeaders.Write(headers), m.Data.Span, out _);
        return true;
    }

    /// <summary>The server's name check: the name in the subject must be the configuration's.</summary>
    private static void CheckName(string subjectName, string? configName)
    {
        if (subjectName != configName)
        {
            throw new ApiException(ApiErrors.Of(ApiErrors.StreamMismatch, "stream name in subject does not match request"));
        }
    }

    /// <summary>Stream names, those whose subjects overlap <paramref name="subject"/> when one is given.</summary>
    private List<string> Filtered(string? subject)
    {
        var names = Engine.StreamNames();
        if (string.IsNullOrEmpty(subject))
        {
            return names;
        }

        return [.. names.Where(n =>
        {
            try
            {
                var info = Engine.GetStreamInfoAsync(n).AsTask().GetAwaiter().GetResult();
                return info.Config.Subjects?.Any(s => Subjects.Collide(s, subject)) == true;
            }
            catch (GofluxException)
            {
                return false;
            }
        })];
    }
}
