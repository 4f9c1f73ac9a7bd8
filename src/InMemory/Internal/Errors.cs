using Goflux;

namespace Goflux.InMemory.Internal;

/// <summary>JetStream API errors with the server's codes and descriptions.</summary>
internal static class Errors
{
    public static GofluxException Api(int errCode, string description, GofluxStage stage = GofluxStage.Transport, string? subject = null)
        => new(stage, description, null, subject, errCode);

    public static GofluxException StreamNotFound() => Api(10059, "stream not found");

    public static GofluxException ConsumerNotFound() => Api(10014, "consumer not found");

    public static GofluxException InvalidStreamConfig(string reason) => Api(10052, reason);

    public static GofluxException Publish(int errCode, string description, string subject)
        => new(GofluxStage.Publish, description, null, subject, errCode) { PublishOutcome = PublishOutcome.Rejected };
}
