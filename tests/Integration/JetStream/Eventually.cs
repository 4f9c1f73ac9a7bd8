namespace Goflux.Integration.Tests.JetStream;

/// <summary>Polls a condition until it holds or a deadline passes.</summary>
internal static class Eventually
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    public static async Task<bool> TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = TimeProvider.System.GetTimestamp() + (long)(timeout.TotalSeconds * TimeProvider.System.TimestampFrequency);
        while (true)
        {
            if (await condition())
            {
                return true;
            }

            if (TimeProvider.System.GetTimestamp() >= deadline)
            {
                return false;
            }

            await Task.Delay(PollInterval, TimeProvider.System, cancellationToken);
        }
    }
}
