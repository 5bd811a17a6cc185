using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Tests.Cpu.Simd;

public class SimdCoverageTests
{
    private static readonly CpuidFeature[] Advertised =
    [
        CpuidFeature.MMX, CpuidFeature.SSE, CpuidFeature.SSE2, CpuidFeature.SSE3, CpuidFeature.SSSE3, CpuidFeature.SSE4_1,
        CpuidFeature.SSE4_2, CpuidFeature.FXSR, CpuidFeature.XSAVE, CpuidFeature.XSAVEOPT, CpuidFeature.XSAVEC,
    ];

    [Fact]
    public void Every_legacy_encoding_of_the_advertised_SIMD_extensions_has_a_handler()
    {
        var missing = new List<Code>();
        foreach (var code in Enum.GetValues<Code>())
        {
            if (code == Code.INVALID || code.ToOpCode().Encoding != EncodingKind.Legacy) continue;
            var features = code.CpuidFeatures();
            // x87 instructions of SSE3 (FISTTP) and the general-purpose ones (CRC32, POPCNT) belong to other families.
            if (features.Any(f => f is CpuidFeature.FPU or CpuidFeature.FPU387) || code.Mnemonic() is Mnemonic.Crc32 or Mnemonic.Popcnt) continue;
            if (features.All(f => Array.IndexOf(Advertised, f) >= 0) && !HandlerTable.IsImplemented(code)) missing.Add(code);
        }
        Assert.True(missing.Count == 0, "no handler: " + string.Join(", ", missing));
    }
}
