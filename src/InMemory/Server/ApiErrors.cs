using NATS.Client.JetStream.Models;

namespace Goflux.InMemory.Server;

/// <summary>
/// The server's JetStream API errors: its HTTP-like <c>code</c> for each <c>err_code</c> (nats-server's errors table),
/// and how the engine's exceptions become them.
/// </summary>
internal static class ApiErrors
{
    /// <summary>The <c>err_code</c> of "bad request" (JSBadRequestErr).</summary>
    public const int BadRequest = 10003;

    /// <summary>The <c>err_code</c> of "invalid JSON" (JSInvalidJSONErr).</summary>
    public const int InvalidJson = 10025;

    /// <summary>The <c>err_code</c> of "stream name in subject does not match request" (JSStreamMismatchErr).</summary>
    public const int StreamMismatch = 10056;

    /// <summary>The <c>err_code</c> of "JetStream clustering support required" (JSClusterRequiredErr).</summary>
    public const int ClusterRequired = 10010;

    /// <summary>The <c>err_code</c> of "consumer expected to be durable but a durable name was not set in subject".</summary>
    public const int DurableNameNotInSubject = 10016;

    /// <summary>The <c>err_code</c> of "consumer expected to be durable but no durable name set".</summary>
    public const int DurableNameNotSet = 10018;

    /// <summary>The <c>err_code</c> of "consumer expected to be ephemeral but a durable name was set in request".</summary>
    public const int EphemeralWithDurableName = 10020;

    /// <summary>The <c>err_code</c> of "consumer create request did not match filtered subject from create subject".</summary>
    public const int FilterSubjectMismatch = 10131;

    /// <summary>The <c>err_code</c> of a failed message delete (JSStreamMsgDeleteFailedF).</summary>
    public const int StreamMsgDeleteFailed = 10057;

    /// <summary>
    /// The <c>code</c> the server pairs with <paramref name="errCode"/>; 500 for codes it reports as internal failures,
    /// 400 otherwise.
    /// </summary>
    public static int HttpCode(int errCode) => errCode switch
    {
        JetStreamErrorCodes.ConsumerNotFound or JetStreamErrorCodes.StreamNotFound or JetStreamErrorCodes.NoMessageFound => 404,
        JetStreamErrorCodes.ConsumerCreate or JetStreamErrorCodes.StreamNotOwnedByTemplate or JetStreamErrorCodes.StreamPurgeNotPermitted or JetStreamErrorCodes.StreamInvalidConfig
            or JetStreamErrorCodes.ReplicasNotSupported or JetStreamErrorCodes.RollupNotPermitted or StreamMsgDeleteFailed or 10069 /* stream update failed */ or 10104 /* consumer store failed */ => 500,
        ClusterRequired or 10039 /* not enabled for account */ or 10076 /* not enabled */ or JetStreamErrorCodes.StreamStoreFailed => 503,
        _ => 400,
    };

    /// <summary>An error with the server's code for <paramref name="errCode"/>.</summary>
    public static ApiError Of(int errCode, string description) => new() { Code = HttpCode(errCode), ErrCode = errCode, Description = description };

    /// <summary>
    /// A feature the server has but the engine does not model: a request the engine refuses, saying which feature.
    /// Code 501 and no <c>err_code</c>, so it cannot be mistaken for one of the server's own answers.
    /// </summary>
    public static ApiError NotModeled(string what) => new() { Code = 501, ErrCode = 0, Description = $"not supported by the goflux in-memory engine: {what}" };

    /// <summary>What the engine's exception becomes on the wire.</summary>
    public static ApiError From(Exception ex) => ex switch
    {
        GofluxException { ErrorCode: { } code } g => Of(code, g.Message),
        NotSupportedException n => NotModeled(n.Message),
        ArgumentException a => Of(JetStreamErrorCodes.StreamInvalidConfig, a.Message),
        _ => new ApiError { Code = 500, ErrCode = 0, Description = ex.Message },
    };
}
