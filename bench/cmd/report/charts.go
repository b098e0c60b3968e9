package main

import (
	"fmt"
	"image/color"
	"os"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// series is one line of a chart.
type series struct {
	name string
	xy   plotter.XYs
	// dashed draws the line dashed (the references: the optimum, the bare
	// map).
	dashed bool
	// black draws it in black (the optimum).
	black bool
}

// palette has one distinguishable colour per cache (Tableau's 10 and two
// more).
var palette = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255},
	{148, 103, 189, 255}, {140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255},
	{188, 189, 34, 255}, {23, 190, 207, 255}, {0, 0, 128, 255}, {128, 128, 0, 255},
}

// lineChart saves a PNG of the series, the legend to the right of the plot.
// clientcache's lines are drawn thicker. xTicks, if not nil, are the only
// ticks of the x axis.
func lineChart(path, title, xLabel, yLabel string, logX, logY bool, xTicks []float64, lines []series) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	if logX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	if xTicks != nil {
		var ticks []plot.Tick
		for _, x := range xTicks {
			ticks = append(ticks, plot.Tick{Value: x, Label: strconv.FormatFloat(x, 'f', -1, 64)})
		}
		p.X.Tick.Marker = plot.ConstantTicks(ticks)
	}
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	p.Add(plotter.NewGrid())
	// The legend is drawn apart, to the right of the plot.
	legend := plot.NewLegend()
	legend.Top = true
	legend.Left = true
	legend.TextStyle.Font.Size = vg.Points(9)
	colour := 0
	for i, l := range lines {
		if len(l.xy) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(l.xy)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", path, l.name, err)
		}
		var c color.Color = color.Black
		if !l.black {
			c = palette[colour%len(palette)]
			colour++
		}
		line.Color = c
		line.Width = vg.Points(1.2)
		if strings.HasPrefix(l.name, "clientcache") {
			line.Width = vg.Points(3)
		}
		if l.dashed {
			line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		points.Color = c
		points.Shape = plotutil.Shape(i)
		points.Radius = vg.Points(2.5)
		p.Add(line, points)
		legend.Add(l.name, line, points)
	}

	// An axis whose values are all equal (a throughput run with -cpu 1)
	// would be widened by gonum to [x-1, x+1], below zero on a log scale,
	// where it panics: widen it by a factor of 2 each way instead.
	for _, a := range []struct {
		axis *plot.Axis
		log  bool
	}{{&p.X, logX}, {&p.Y, logY}} {
		if a.log && a.axis.Min == a.axis.Max && a.axis.Min > 0 {
			a.axis.Min, a.axis.Max = a.axis.Min/2, a.axis.Max*2
		}
	}

	const width, height, legendWidth = 9 * vg.Inch, 5 * vg.Inch, 1.8 * vg.Inch
	img := vgimg.New(width, height)
	dc := draw.New(img)
	p.Draw(draw.Crop(dc, 0, -legendWidth, 0, 0))
	legend.Draw(draw.Crop(dc, width-legendWidth+vg.Points(6), 0, 0, -vg.Points(30)))

	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
