package main

import (
	"fmt"
	"image/color"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// series is one line of a chart.
type series struct {
	name string
	xy   plotter.XYs
	// dashed draws the line dashed (the unbounded or reference lines).
	dashed bool
	// black draws it in black (the optimum).
	black bool
}

// lineChart saves a PNG of the series; legendLeft puts the legend in the top
// left corner rather than the top right. clientcache's lines are drawn
// thicker.
func lineChart(path, title, xLabel, yLabel string, logX, logY, legendLeft bool, lines []series) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	if logX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.Left = legendLeft
	p.Legend.XOffs = vg.Points(-8)
	if legendLeft {
		p.Legend.XOffs = vg.Points(8)
	}
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	for i, l := range lines {
		if len(l.xy) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(l.xy)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", path, l.name, err)
		}
		c := plotutil.Color(i)
		if l.black {
			c = color.Black
		}
		line.Color = c
		line.Width = vg.Points(1.2)
		if strings.HasPrefix(l.name, "clientcache") {
			line.Width = vg.Points(3)
		}
		if l.dashed {
			line.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		points.Color = c
		points.Shape = plotutil.Shape(i / len(plotutil.SoftColors))
		points.Radius = vg.Points(2.5)
		if _, ok := points.Shape.(draw.CircleGlyph); ok {
			points.Radius = vg.Points(2)
		}
		p.Add(line, points)
		p.Legend.Add(l.name, line, points)
	}
	return p.Save(8*vg.Inch, 5*vg.Inch, path)
}
