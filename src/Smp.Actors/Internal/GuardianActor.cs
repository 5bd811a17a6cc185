namespace Smp.Actors.Internal;

/// <summary>The parent of top-level actors (<c>/user</c>, <c>/system</c>, <c>/temp</c>); it handles nothing itself.</summary>
internal sealed class GuardianActor : Actor
{
}
