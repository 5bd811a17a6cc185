namespace Smp.Actors.Tests;

/// <summary>
/// Random host delays for handlers: busy spins, sleeps and yields drawn from an unseeded generator, so every run
/// sees different host timing. Determinism must not depend on it.
/// </summary>
internal static class HostJitter
{
    public static void Disturb()
    {
        switch (Random.Shared.Next(64))
        {
            case < 8:
                Thread.SpinWait(Random.Shared.Next(1, 20_000));
                break;
            case < 12:
                Thread.Yield();
                break;
            case 12:
                Thread.Sleep(Random.Shared.Next(0, 2));
                break;
            default:
                break;
        }
    }
}
