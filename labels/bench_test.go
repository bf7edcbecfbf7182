package labels

import (
	"bytes"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/jung-kurt/gofpdf"
)

// heapPeak samples the heap (objects, live or not yet swept) every
// millisecond while f runs and reports the maximum as peak-heap-MiB. (The
// runtime's HeapSys is process-wide and never shrinks, so it would mix the
// benchmarks of one run.)
//
// It returns the CPU time (user + system, all threads, GC included) the
// process spent in f, or 0 where that is not measured: on a machine shared
// with other work, labels per CPU-second is the fair "per core" figure.
func heapPeak(b *testing.B, f func()) (cpu float64) {
	b.Helper()
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64 // written by the sampler, read after wg.Wait
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				metrics.Read(sample)
				peak = max(peak, sample[0].Value.Uint64())
			}
		}
	}()
	c0, ok0 := cpuSeconds()
	f()
	c1, ok1 := cpuSeconds()
	close(done)
	wg.Wait()
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	if ok0 && ok1 {
		return c1 - c0
	}
	return 0
}

func benchLabels(n int) []Label {
	base := Samples().Label
	out := make([]Label, n)
	for i := range out {
		l := base
		l.TrackingNumber = sampleS10("EA", 30000000+i)
		l.TrackingURL = sampleHost + "/tra-cuu/" + l.TrackingNumber
		l.DossierCode = fmt.Sprintf("H56.22-261124-%04d", i)
		l.SealID = fmt.Sprintf("NP-%07d", 60000+i)
		l.DocumentCount = 1 + i%7
		out[i] = l
	}
	return out
}

// BenchmarkLabels1000 renders 1,000 A6 labels as one multi-page PDF.
func BenchmarkLabels1000(b *testing.B) {
	labels := benchLabels(1000)
	o := testOpts()
	var buf bytes.Buffer
	b.ReportAllocs()
	cpu := heapPeak(b, func() {
		b.ResetTimer()
		for b.Loop() {
			buf.Reset()
			if err := RenderLabels(&buf, labels, o); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
	})
	b.ReportMetric(float64(len(labels)*b.N)/b.Elapsed().Seconds(), "labels/s")
	if cpu > 0 {
		b.ReportMetric(float64(len(labels)*b.N)/cpu, "labels/cpu-s")
	}
	b.ReportMetric(float64(buf.Len())/(1<<20), "pdf-MiB")
}

// BenchmarkLabelSingle renders one label per PDF (font parsed every time).
func BenchmarkLabelSingle(b *testing.B) {
	l := Samples().Label
	o := testOpts()
	var buf bytes.Buffer
	b.ReportAllocs()
	heapPeak(b, func() {
		b.ResetTimer()
		for b.Loop() {
			buf.Reset()
			if err := RenderLabel(&buf, l, o); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "labels/s")
}

// BenchmarkManifest500 renders a 500-parcel handover manifest (30 A4 pages,
// 501 Code128 symbols).
func BenchmarkManifest500(b *testing.B) {
	m := bigManifest(500)
	o := testOpts()
	var buf bytes.Buffer
	b.ReportAllocs()
	cpu := heapPeak(b, func() {
		b.ResetTimer()
		for b.Loop() {
			buf.Reset()
			if err := RenderManifest(&buf, m, o); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
	})
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/manifest")
	if cpu > 0 {
		b.ReportMetric(cpu/float64(b.N), "cpu-s/manifest")
	}
	b.ReportMetric(float64(buf.Len())/(1<<20), "pdf-MiB")
}

// BenchmarkBaselineCoreFont is plain gofpdf: one A6 page of text in the
// core Helvetica font (no embedding, no barcodes), as a floor.
func BenchmarkBaselineCoreFont(b *testing.B) {
	var buf bytes.Buffer
	b.ReportAllocs()
	heapPeak(b, func() {
		b.ResetTimer()
		for b.Loop() {
			buf.Reset()
			pdf := gofpdf.NewCustom(&gofpdf.InitType{UnitStr: "mm", Size: sizeA6})
			pdf.SetCreationDate(testCreated)
			pdf.SetModificationDate(testCreated)
			pdf.SetCatalogSort(true)
			pdf.AddPage()
			pdf.SetFont("helvetica", "B", 16)
			pdf.Text(10, 20, "EA 123 456 785 VN")
			pdf.SetFont("helvetica", "", 10)
			for i := range 12 {
				pdf.Text(10, 30+float64(i)*8, "Trung tam Phuc vu hanh chinh cong tinh Thai Nguyen")
			}
			if err := pdf.Output(&buf); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}

// BenchmarkBaselineEmbeddedFont is the same page with the embedded Be
// Vietnam Pro (what every document pays once: parse and subset the TTF).
func BenchmarkBaselineEmbeddedFont(b *testing.B) {
	var buf bytes.Buffer
	b.ReportAllocs()
	heapPeak(b, func() {
		b.ResetTimer()
		for b.Loop() {
			buf.Reset()
			pdf := gofpdf.NewCustom(&gofpdf.InitType{UnitStr: "mm", Size: sizeA6})
			pdf.AddUTF8FontFromBytes(fam, "", bytes.Clone(fontRegular))
			pdf.SetCreationDate(testCreated)
			pdf.SetModificationDate(testCreated)
			pdf.SetCatalogSort(true)
			pdf.AddPage()
			pdf.SetFont(fam, "", 16)
			pdf.Text(10, 20, "EA 123 456 785 VN")
			pdf.SetFont(fam, "", 10)
			for i := range 12 {
				pdf.Text(10, 30+float64(i)*8, "Trung tâm Phục vụ hành chính công tỉnh Thái Nguyên")
			}
			if err := pdf.Output(&buf); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}
