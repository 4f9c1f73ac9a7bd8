using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Goflux.Hosting.Internal;

/// <summary>
/// Reports each hosted consumer by the worst state of its workers: all listening → healthy; starting or interrupted
/// (reconnecting) → degraded; stopped, faulted or never started → unhealthy, with the error.
/// </summary>
internal sealed class GofluxHealthCheck(GofluxRegistry registry, Func<IReadOnlyList<HostedConsumer>> consumers) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var worst = HealthStatus.Healthy;
        var notes = new List<string>();
        Exception? firstError = null;
        var started = consumers();
        foreach (var declared in registry.Handlers)
        {
            var key = $"{declared.Stream}/{declared.Consumer}";
            var consumer = started.FirstOrDefault(c => c.Stream == declared.Stream && c.Consumer == declared.Consumer);
            var (state, error) = consumer is null ? (SubscriptionState.NotStarted, null) : Worst(consumer.Statuses);
            data[key] = state.ToString();
            var status = state switch
            {
                SubscriptionState.Listening => HealthStatus.Healthy,
                SubscriptionState.Starting or SubscriptionState.Interrupted => HealthStatus.Degraded,
                _ => HealthStatus.Unhealthy,
            };
            if (status != HealthStatus.Healthy)
            {
                notes.Add(error is null ? $"{key} is {Describe(state)}" : $"{key} is {Describe(state)}: {error.Message}");
                firstError ??= error;
            }

            if (status < worst)
            {
                worst = status;
            }
        }

        var description = notes.Count == 0
            ? $"{data.Count} hosted consumer(s) listening"
            : string.Join("; ", notes);
        return Task.FromResult(new HealthCheckResult(worst, description, firstError, data));
    }

    private static string Describe(SubscriptionState state) => state switch
    {
        SubscriptionState.Interrupted => "reconnecting",
        SubscriptionState.NotStarted => "not started",
        _ => state.ToString().ToLowerInvariant(),
    };

    private static (SubscriptionState State, Exception? Error) Worst(IReadOnlyList<SubscriptionStatus> statuses)
    {
        if (statuses.Count == 0)
        {
            return (SubscriptionState.NotStarted, null);
        }

        var worst = statuses[0];
        foreach (var s in statuses)
        {
            if (Rank(s.State) > Rank(worst.State))
            {
                worst = s;
            }
        }

        return (worst.State, worst.Error);
    }

    private static int Rank(SubscriptionState state) => state switch
    {
        SubscriptionState.Listening => 0,
        SubscriptionState.Starting => 1,
        SubscriptionState.Interrupted => 2,
        SubscriptionState.NotStarted => 3,
        SubscriptionState.Stopped => 4,
        _ => 5,
    };
}
