import { render } from 'preact';
import 'uplot/dist/uPlot.min.css';
import './app/console.css';
import { App } from './app/App.js';

render(<App />, document.getElementById('app')!);
