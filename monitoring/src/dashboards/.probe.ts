import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as Stat } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TS } from '@grafana/grafana-foundation-sdk/timeseries';

const d = new DashboardBuilder('x')
  .uid('u')
  .withRow(new RowBuilder('r'))
  .withPanel(new TS().title('a').withTarget(new DataqueryBuilder().expr('up').refId('A')).span(12).height(8))
  .withPanel(new Stat().title('s'));
console.log(JSON.stringify(d.build(), null, 1));
