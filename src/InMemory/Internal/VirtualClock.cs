using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace Goflux.InMemory.Internal;

/// <summary>
/// Finds how to move a virtual clock: a <see cref="TimeProvider"/> with a public <c>Advance(TimeSpan)</c> method, as
/// <c>Microsoft.Extensions.Time.Testing.FakeTimeProvider</c> has. Found by its shape, so the engine needs no testing package
/// at run time: whoever passes a fake clock brings its package.
/// </summary>
internal static class VirtualClock
{
    /// <summary>The method that moves <paramref name="clock"/> on, or <see langword="null"/> for a clock that moves by itself.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "Virtual clocks are test doubles, which are not trimmed; a trimmed-away Advance reads as a real clock and AdvanceAsync says so.")]
    public static Action<TimeSpan>? FindAdvance(TimeProvider clock)
    {
        var advance = clock.GetType().GetMethod("Advance", BindingFlags.Public | BindingFlags.Instance, [typeof(TimeSpan)]);
        return advance is { ReturnType: var returns } && returns == typeof(void)
            ? advance.CreateDelegate<Action<TimeSpan>>(clock)
            : null;
    }
}
